/*
 * Fuzz target: the NDJSON reader (ndjson.h) over a file, each line then
 * through the envelope parser, the way every tend program reads its
 * input; and the writer, whose output must be the lines read, each with
 * its newline.  The first byte picks the line limit, so long-line
 * skipping is reached with small inputs.
 */
#include "compat.h"

#include <unistd.h>

#include "event.h"
#include "fuzz.h"
#include "ndjson.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndjson_reader r;
	struct ndjson_writer w;
	struct event ev;
	struct tend_err err = { 0 };
	char *line, *back;
	size_t len, lines = 0, total = 0, prev = 0;
	int in, out, rc;
	off_t end;

	if (size < 1)
		return 0;
	in = fuzz_memfd(data + 1, size - 1);
	out = fuzz_memfd(NULL, 0);
	ndjson_reader_init(&r, in, "<fuzz>");
	r.max_line = 2 + data[0] * 4;
	ndjson_writer_init(&w, out);
	event_init(&ev);
	for (;;) {
		rc = ndjson_reader_next(&r, &line, &len, &err);
		if (rc == 0)
			break;
		FUZZ_ASSERT(r.lineno > prev);
		prev = r.lineno;
		if (rc < 0) {
			FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
			continue;
		}
		FUZZ_ASSERT(len <= r.max_line && line[len] == '\0');
		FUZZ_ASSERT(memchr(line, '\n', len) == NULL);
		(void)event_parse(&ev, line, len, &err);
		FUZZ_ASSERT(ndjson_writer_line(&w, line, len) == 0);
		lines++;
		total += len + 1;
	}
	FUZZ_ASSERT(ndjson_writer_flush(&w) == 0);
	end = lseek(out, 0, SEEK_END);
	FUZZ_ASSERT(end >= 0 && (size_t)end == total);
	/* Every line handed out is whole input bytes, so no more out than in
	   plus a final newline. */
	FUZZ_ASSERT(total <= size);
	if (total > 0) {
		back = malloc(total);
		FUZZ_ASSERT(back != NULL);
		FUZZ_ASSERT(pread(out, back, total, 0) == (ssize_t)total);
		FUZZ_ASSERT(back[total - 1] == '\n');
		free(back);
	}
	(void)lines;
	event_release(&ev);
	ndjson_writer_release(&w);
	ndjson_reader_release(&r);
	close(in);
	close(out);
	return 0;
}
