/*
 * Fuzz target: the CloudEvents envelope parser (event.h) on one line, and
 * event_build of an event derived from it, as every tend stage does.
 * Invariants: the attributes of a parsed event decode; a derived event
 * built from its data parses, and building it twice gives the same
 * bytes (deterministic ids).
 */
#include "compat.h"

#include "buf.h"
#include "event.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event ev, ev2;
	struct event_new en;
	struct tend_err err = { 0 };
	struct buf subject = BUF_INIT, runid = BUF_INIT, id = BUF_INIT,
	    out = BUF_INIT, out2 = BUF_INIT, tmp = BUF_INIT;
	size_t dlen;
	int64_t toks[4];
	size_t i;

	event_init(&ev);
	event_init(&ev2);
	if (event_parse(&ev, (const char *)data, size, &err) < 0) {
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
		goto out;
	}
	FUZZ_ASSERT(ev.id >= 0 && ev.source >= 0 && ev.type >= 0);
	toks[0] = ev.type;
	toks[1] = ev.source;
	toks[2] = ev.datacontenttype;
	toks[3] = ev.time;
	for (i = 0; i < ARRAY_SIZE(toks); i++) {
		buf_reset(&tmp);
		event_attr(&ev, toks[i], &tmp);
		(void)event_attr_eq(&ev, toks[i], "tend.error");
	}
	event_attr(&ev, ev.subject, &subject);
	event_attr(&ev, ev.runid, &runid);
	event_attr(&ev, ev.id, &id);
	memset(&en, 0, sizeof(en));
	en.source = "tend-fuzz";
	en.type = "tend.resource.state";
	/* Attributes with a NUL cannot be passed as C strings. */
	if (ev.subject >= 0 && strlen(subject.p) == subject.len)
		en.subject = subject.p;
	if (ev.runid >= 0 && strlen(runid.p) == runid.len)
		en.runid = runid.p;
	if (strlen(id.p) == id.len)
		en.causeid = id.p;
	en.time_ns = ev.time >= 0 ? ev.time_ns : 0;
	if (ev.data >= 0) {
		en.data = json_raw(&ev.doc, (uint32_t)ev.data, &dlen);
		en.data_len = dlen;
	}
	if (event_build(&out, &en, &err) == 0) {
		FUZZ_ASSERT(event_parse(&ev2, out.p, out.len, &err) == 0);
		FUZZ_ASSERT(event_build(&out2, &en, &err) == 0);
		FUZZ_ASSERT(out.len == out2.len &&
		    memcmp(out.p, out2.p, out.len) == 0);
	} else
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
out:
	buf_release(&subject);
	buf_release(&runid);
	buf_release(&id);
	buf_release(&out);
	buf_release(&out2);
	buf_release(&tmp);
	event_release(&ev);
	event_release(&ev2);
	return 0;
}
