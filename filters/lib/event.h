/*
 * event.h: the CloudEvents 1.0 envelope of SPEC section 3.
 *
 * event_parse checks one NDJSON line strictly (json.h) and then the
 * envelope: specversion "1.0"; id, source, type non-empty strings; time an
 * RFC 3339 string; subject, datacontenttype, dataschema strings; data or
 * data_base64, not both; runid and causeid strings; seq an integer >= 1;
 * extension names [a-z0-9]{1,20} with string, number or boolean values;
 * no attribute twice.  It does not check `data` against its schema (see
 * schema.h) and keeps the line's bytes: programs pass events on verbatim.
 *
 * event_build writes a new event line; derived events get a deterministic
 * id (event_derive_id) so replaying the same input gives the same bytes.
 */
#ifndef TEND_EVENT_H
#define TEND_EVENT_H

#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "tenderr.h"

struct event {
	struct json_doc doc;
	const char *line;
	size_t	 len;
	/* token indices into doc, -1 when absent */
	int64_t	 id, source, type, subject, time, runid, causeid, seq,
		 data, data_base64, datacontenttype;
	int64_t	 time_ns;	/* parsed `time`, when present */
	int	 known;		/* type is a tend.* type tend knows */
};

void	event_init(struct event *);
void	event_release(struct event *);

/*
 * Parses and checks line[0..len).  Returns 0, or -1 with err (code
 * TEND_EXIT_INPUT) saying what is wrong.  The event refers to line, which
 * must stay unchanged while the event is used.  An unknown "tend.*" type
 * is an error; other types are valid CloudEvents and get known = 0.
 */
int	event_parse(struct event *, const char *line, size_t len,
	    struct tend_err *);

/* 1 if string attribute token `tok` (an index from the event) equals s. */
int	event_attr_eq(const struct event *, int64_t tok, const char *s);

/* Appends the decoded value of a string attribute (nothing if absent). */
void	event_attr(const struct event *, int64_t tok, struct buf *out);

/* The list of tend.* event types, NULL-terminated. */
extern const char *const event_types[];
int	event_type_known(const char *type, size_t len);

/* What a new event is made of; NULL fields are left out. */
struct event_new {
	const char *id;		/* NULL: derived (event_derive_id) */
	const char *source;	/* "tend-diff" */
	const char *type;
	const char *subject;
	const char *runid;
	const char *causeid;
	int64_t	 time_ns;
	const char *data;	/* raw JSON text of the data, or NULL */
	size_t	 data_len;
};

/*
 * Appends the event as one line (no newline) to out.  Returns 0, or -1
 * if a derived id cannot be computed because data is not valid JSON or
 * holds a value JCS refuses.
 */
int	event_build(struct buf *out, const struct event_new *,
	    struct tend_err *);

/*
 * Deterministic id: lowercase hex of the first 16 bytes of SHA-256 over
 * the JCS form of [runid, type, subject, causeid, data] (absent -> null).
 * Writes 33 bytes (with NUL) into id.
 */
int	event_derive_id(const struct event_new *, char id[33],
	    struct tend_err *);

#endif
