/*
 * Fuzz target: tend plan's skill loader (filters/plan/skill.c): the
 * metadata file (JSON or YAML, checked against schemas/skill.v1.json)
 * beside its jq program, then compiling the program with its variables
 * bound.  The input is the metadata, a NUL, then the program; the first
 * byte picks the metadata's extension.  Invariants: a loaded skill has
 * the name, domain, risk and mode the schema requires.
 *
 * Links skill.o and data.o of filters/plan; plan_skill_error, in plan.c
 * beside main(), is not needed by the loader and is stubbed here.
 */
#include "compat.h"

#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "plan.h"

static char dir[128];
static struct schema_set *schemas;

int
plan_skill_error(struct plan *p, const char *text, size_t len,
    const struct tend_err *err)
{
	(void)p;
	(void)text;
	(void)len;
	(void)err;
	BUG("not called by the loader");
}

static void
put(const char *path, const uint8_t *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (n > 0 && write(fd, s, n) != (ssize_t)n) || close(fd) < 0)
		abort();
}

static void
bye(void)
{
	static const char *const names[] = { "s.jq", "s.json", "s.yaml" };
	char p[200];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	schema_set_free(schemas);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tend_err err = { 0 };
	const char *t;

	(void)argc;
	(void)argv;
	if ((t = getenv("TEND_FUZZ_TMP")) == NULL)
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/tend-fuzz.XXXXXX", t);
	if (mkdtemp(dir) == NULL)
		abort();
	if ((schemas = schema_set_load(&err)) == NULL)
		abort();
	atexit(bye);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan p;
	struct tend_err err = { 0 };
	const uint8_t *nul;
	char jq[200], meta[200], other[200];
	size_t i, mlen;
	int yaml;

	if (size < 1)
		return 0;
	yaml = data[0] & 1;
	data++;
	size--;
	nul = memchr(data, '\0', size);
	mlen = nul != NULL ? (size_t)(nul - data) : size;
	snprintf(jq, sizeof(jq), "%s/s.jq", dir);
	snprintf(meta, sizeof(meta), "%s/s.%s", dir, yaml ? "yaml" : "json");
	snprintf(other, sizeof(other), "%s/s.%s", dir, yaml ? "json" : "yaml");
	unlink(other);
	put(meta, data, mlen);
	if (nul != NULL)
		put(jq, nul + 1, size - mlen - 1);
	else
		put(jq, (const uint8_t *)".", 1);

	memset(&p, 0, sizeof(p));
	p.schemas = schemas;
	strlcpy(p.now, "2026-11-23T12:00:00Z", sizeof(p.now));
	if (skill_load_path(&p, jq, &err) == 0) {
		for (i = 0; i < p.nskills; i++) {
			struct skill *s = p.skills[i];

			FUZZ_ASSERT(s->name != NULL && s->domain != NULL &&
			    s->risk != NULL && s->mode != NULL);
			(void)skill_reads(s, "tend.resource.state", 19);
			(void)skill_compile(&p, s, &err);
		}
	} else
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT ||
		    err.code == TEND_EXIT_SYSTEM);
	for (i = 0; i < p.nskills; i++)
		skill_free(p.skills[i]);
	free(p.skills);
	return 0;
}
