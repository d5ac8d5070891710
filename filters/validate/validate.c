/*
 * tend-validate: reads NDJSON events (stdin or FILE operands) and passes
 * each valid one through to stdout byte for byte.  Valid means strict
 * RFC 8259 JSON with valid UTF-8, a CloudEvents 1.0 envelope with tend's
 * rules (event.h), and `data` valid against the type's schema (schemas/).
 *
 * An invalid line is reported as "tend-validate: FILE:LINE: why" and stops
 * the run with status 3; with --keep-going it becomes a tend.error event
 * and the run goes on, still ending with status 3.  Read errors give 4.
 */
#include "compat.h"

#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "event.h"
#include "ndjson.h"
#include "schema.h"

static const char usage_text[] =
    "usage: %s [-hkV] [--log file] [--max-line bytes] [--now time]"
    " [file ...]\n";

static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{ NULL, 0, NULL, 0 },
};

/* Returns 0 to go on, -1 to stop. */
static int
validate_stream(struct cli *c, struct schema_set *schemas, int fd,
    const char *name)
{
	struct ndjson_reader r;
	struct event ev;
	struct tend_err err = { 0 };
	char *line;
	size_t len;
	int rc = 0, n;

	ndjson_reader_init(&r, fd, name);
	r.max_line = c->max_line;
	r.flush_before_read = &c->out;
	event_init(&ev);
	for (;;) {
		n = ndjson_reader_next(&r, &line, &len, &err);
		if (n == 0)
			break;
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			cli_fail(c, TEND_EXIT_SYSTEM);
			rc = -1;
			break;
		}
		if (n > 0 && event_parse(&ev, line, len, &err) == 0 &&
		    schema_set_check_event(schemas, &ev.doc, 0, &err) == 0) {
			if (cli_emit(c, line, len) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (n > 0 && len == 0)
			tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
		if (cli_bad_input(c, name, r.lineno, n > 0 ? line : "",
		    n > 0 ? len : 0, err.msg) < 0) {
			rc = -1;
			break;
		}
	}
	event_release(&ev);
	ndjson_reader_release(&r);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct cli c;
	struct schema_set *schemas;
	struct tend_err err = { 0 };
	int ch, i, fd;

	cli_init(&c, "tend-validate", usage_text);
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1)
		if (!cli_common_opt(&c, ch, optarg))
			cli_usage_error(&c);
	argc -= optind;
	argv += optind;
	cli_start(&c);

	if ((schemas = schema_set_load(&err)) == NULL)
		errx(TEND_EXIT_SYSTEM, "built-in schemas: %s", err.msg);
	if (argc == 0) {
		validate_stream(&c, schemas, STDIN_FILENO, "<stdin>");
	} else {
		for (i = 0; i < argc; i++) {
			int stop;

			if (strcmp(argv[i], "-") == 0) {
				stop = validate_stream(&c, schemas,
				    STDIN_FILENO, "<stdin>");
			} else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
				warn("cannot open '%s'", argv[i]);
				cli_fail(&c, TEND_EXIT_SYSTEM);
				break;
			} else {
				stop = validate_stream(&c, schemas, fd, argv[i]);
				close(fd);
			}
			if (stop < 0)
				break;
		}
	}
	schema_set_free(schemas);
	return cli_finish(&c);
}
