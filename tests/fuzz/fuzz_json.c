/*
 * fuzz_json.c - libFuzzer target for jansson as gatehouse uses it.
 *
 * Request bodies are decoded by json_loadb() with JSON_REJECT_DUPLICATES
 * | JSON_DECODE_ANY (src/handlers/common.c) and answers are encoded by
 * json_dumps() with JSON_COMPACT | JSON_ENCODE_ANY (src/http/resp.c).
 * This target guards those uses rather than jansson itself (which is
 * the system library, not instrumented, so coverage comes from here):
 *
 *  - a refused body: the error text is NUL-terminated valid UTF-8 and
 *    its position lies inside the body, so the 422 that common.c builds
 *    from it with json_pack("{s:s,s:I,s:i,s:i}") cannot fail;
 *  - an accepted body: it encodes, and the encoding decodes, with the
 *    same flags, to an equal value (json_equal), so what we echo back is
 *    what we read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/utf8.h"

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_json: %s\n", what);
	abort();
}

static void
check_error(const json_error_t *jerr, size_t size)
{
	const char *end = memchr(jerr->text, '\0', sizeof(jerr->text));
	json_error_t copy = *jerr, *je = &copy;
	json_t *ctx;
	size_t n;

	if (end == NULL)
		fail("error text not NUL-terminated");
	/* jansson may quote a partial UTF-8 sequence; gh_h_json_body()
	 * cuts the text back exactly like this */
	n = gh_utf8_valid_prefix(je->text, (size_t)(end - jerr->text));
	je->text[n] = '\0';
	if (!gh_utf8_valid(je->text, n))
		fail("error text is not valid UTF-8");
	if (je->position < 0 || (size_t)je->position > size)
		fail("error position outside the body");
	/* what gh_h_json_body() sends back */
	ctx = json_pack("{s:s,s:I,s:i,s:i}", "msg", je->text, "pos",
	    (json_int_t)je->position, "lineno", je->line, "colno", je->column);
	if (ctx == NULL)
		fail("json_pack of the error failed");
	json_decref(ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *v, *v2;
	char *s;

	v = json_loadb((const char *)data, size, LOAD_FLAGS, &je);
	if (v == NULL) {
		check_error(&je, size);
		return 0;
	}
	if ((s = json_dumps(v, DUMP_FLAGS)) == NULL)
		fail("json_dumps of a decoded value failed");
	if ((v2 = json_loads(s, LOAD_FLAGS, &je)) == NULL) {
		fprintf(stderr, "fuzz_json: %s: %s\n", je.text, s);
		fail("the encoding of a decoded value does not decode");
	}
	if (!json_equal(v, v2)) {
		fprintf(stderr, "fuzz_json: re-decoded: %s\n", s);
		fail("encode and decode changed the value");
	}
	free(s);
	json_decref(v2);
	json_decref(v);
	return 0;
}
