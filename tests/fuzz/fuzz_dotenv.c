/*
 * fuzz_dotenv.c - libFuzzer target for gh_config_parse_dotenv()
 * (src/config.c).
 *
 * The input is a .env file.  Each assignment goes, as in the server's
 * load_dotenv(), to gh_config_set() on a struct gh_config initialised
 * by gh_config_defaults() (an unknown name is skipped, a bad value stops
 * the parse).  When the whole file is accepted, gh_config_finish()
 * derives the database path as start-up does; the struct is released
 * at the end, so LeakSanitizer sees any string the setters leak.
 *
 * Checked on the way: the callback only ever sees a non-empty name
 * without '=', leading blanks or a newline, and a value without a
 * newline; a failing parse writes a NUL-terminated reason into err.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_dotenv: %s\n", what);
	abort();
}

static enum gh_err
set(void *ctx, const char *name, const char *value, char *err, size_t errsz)
{
	enum gh_err r;

	if (name[0] == '\0' || name[0] == ' ' || name[0] == '\t')
		fail("empty name or leading blank");
	if (strchr(name, '=') != NULL || strchr(name, '\n') != NULL)
		fail("'=' or newline in a name");
	if (strchr(value, '\n') != NULL)
		fail("newline in a value");
	r = gh_config_set(ctx, name, value, err, errsz);
	return r == GH_ERR_NOTFOUND ? GH_OK : r; /* as load_dotenv() */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_config cfg;
	char err[256];
	enum gh_err r;

	gh_config_defaults(&cfg);
	memset(err, 'x', sizeof(err));
	r = gh_config_parse_dotenv(
	    (const char *)data, size, set, &cfg, err, sizeof(err));
	if (r != GH_OK) {
		if (r != GH_ERR_INVALID)
			fail("parse failed with other than GH_ERR_INVALID");
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			fail("no NUL-terminated reason in err");
	} else if (gh_config_finish(&cfg, err, sizeof(err)) != GH_OK) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			fail("finish left err unterminated");
	} else if ((cfg.db_path == NULL) == (cfg.pg_conninfo == NULL))
		fail("finish accepted without exactly one database");
	gh_config_release(&cfg);
	return 0;
}
