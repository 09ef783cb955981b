/*
 * test_schema.c - unit tests for src/http/schema.c: each field kind's
 * pydantic 1.10 error (loc, msg, type, ctx), field order, e-mail
 * normalisation in place, and the wiping of passwords.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http/schema.h"

static const struct gh_field fields[] = {
    {"name", GH_F_STR, GH_F_REQ, 2, 4},
    {"email", GH_F_EMAIL, 0, 0, 20},
    {"secret", GH_F_PASSWORD, 0, 0, 0},
    {"days", GH_F_INT, 0, 1, 30},
    {"role", GH_F_ENUM, 0, .extra = "user|admin"},
    {"on", GH_F_BOOL, 0},
    {"note", GH_F_STR, GH_F_NULLABLE},
    {NULL},
};
static const struct gh_schema s = {"Test", NULL, fields};

/* The errors of body (a JSON text) as compact JSON. */
static char *
errors_of(const char *body)
{
	json_t *obj = json_loads(body, JSON_ALLOW_NUL, NULL);
	json_t *errs = json_array();
	char *out;
	bool ok;

	assert_non_null(obj);
	ok = gh_schema_validate(&s, obj, errs);
	assert_int_equal(ok, json_array_size(errs) == 0);
	out = json_dumps(errs, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(errs);
	json_decref(obj);
	return out;
}

static void
expect(const char *body, const char *want)
{
	char *got = errors_of(body);

	if (strcmp(got, want) != 0)
		fail_msg("%s:\n got  %s\n want %s", body, got, want);
	free(got);
}

static void
test_each_kind(void **state)
{
	(void)state;
	expect("{\"name\":\"abc\"}", "[]");
	expect("{}", "[{\"loc\":[\"body\",\"name\"],\"msg\":\"field "
	             "required\",\"type\":\"value_error.missing\"}]");
	expect("{\"name\":null}",
	    "[{\"loc\":[\"body\",\"name\"],\"msg\":\"none is not an allowed "
	    "value\",\"type\":\"type_error.none.not_allowed\"}]");
	expect("{\"name\":5}", "[{\"loc\":[\"body\",\"name\"],\"msg\":\"str "
	                       "type expected\",\"type\":\"type_error.str\"}]");
	expect("{\"name\":\"\\u00e9\"}",
	    "[{\"loc\":[\"body\",\"name\"],\"msg\":\"ensure this value has at "
	    "least 2 characters\",\"type\":\"value_error.any_str.min_length\","
	    "\"ctx\":{\"limit_value\":2}}]");
	/* code points, not bytes: four 2-byte characters fit */
	expect("{\"name\":\"\\u00e9\\u00e9\\u00e9\\u00e9\"}", "[]");
	expect("{\"name\":\"abcde\"}",
	    "[{\"loc\":[\"body\",\"name\"],\"msg\":\"ensure this value has at "
	    "most 4 characters\",\"type\":\"value_error.any_str.max_length\","
	    "\"ctx\":{\"limit_value\":4}}]");
	expect("{\"name\":\"ab\",\"email\":\"nope\"}",
	    "[{\"loc\":[\"body\",\"email\"],\"msg\":\"value is not a valid "
	    "email address\",\"type\":\"value_error.email\"}]");
	expect("{\"name\":\"ab\",\"email\":\"abcdefghijkl@example.com\"}",
	    "[{\"loc\":[\"body\",\"email\"],\"msg\":\"ensure this value has at "
	    "most 20 characters\",\"type\":\"value_error\"}]");
	expect("{\"name\":\"ab\",\"days\":1.5}",
	    "[{\"loc\":[\"body\",\"days\"],\"msg\":\"value is not a valid "
	    "integer\",\"type\":\"type_error.integer\"}]");
	expect("{\"name\":\"ab\",\"days\":0}",
	    "[{\"loc\":[\"body\",\"days\"],\"msg\":\"ensure this value is "
	    "greater than or equal to "
	    "1\",\"type\":\"value_error.number.not_ge\","
	    "\"ctx\":{\"limit_value\":1}}]");
	expect("{\"name\":\"ab\",\"days\":31}",
	    "[{\"loc\":[\"body\",\"days\"],\"msg\":\"ensure this value is less "
	    "than or equal to 30\",\"type\":\"value_error.number.not_le\","
	    "\"ctx\":{\"limit_value\":30}}]");
	expect("{\"name\":\"ab\",\"role\":\"root\"}",
	    "[{\"loc\":[\"body\",\"role\"],\"msg\":\"value is not a valid "
	    "enumeration member; permitted: 'user', 'admin'\",\"type\":"
	    "\"type_error.enum\",\"ctx\":{\"enum_values\":[\"user\","
	    "\"admin\"]}}]");
	expect("{\"name\":\"ab\",\"role\":\"user\\u0000x\"}",
	    "[{\"loc\":[\"body\",\"role\"],\"msg\":\"value is not a valid "
	    "enumeration member; permitted: 'user', 'admin'\",\"type\":"
	    "\"type_error.enum\",\"ctx\":{\"enum_values\":[\"user\","
	    "\"admin\"]}}]");
	expect("{\"name\":\"ab\",\"on\":\"true\"}",
	    "[{\"loc\":[\"body\",\"on\"],\"msg\":\"value could not be parsed "
	    "to a boolean\",\"type\":\"type_error.bool\"}]");
	expect("{\"name\":\"ab\",\"note\":null,\"unknown\":[1]}", "[]");
}

static void
test_order_and_normalise(void **state)
{
	json_t *obj, *errs = json_array();
	char *out;

	(void)state;
	/* every bad field, in the schema's order, not the body's */
	out = errors_of("{\"on\":1,\"days\":0,\"name\":1}");
	assert_non_null(strstr(out, "\"name\"]"));
	assert_true(strstr(out, "\"name\"]") < strstr(out, "\"days\"]"));
	assert_true(strstr(out, "\"days\"]") < strstr(out, "\"on\"]"));
	free(out);
	/* a good address is replaced by its normalised form */
	obj = json_loads(
	    "{\"name\":\"ab\",\"email\":\"Ann@EXAMPLE.com\"}", 0, NULL);
	assert_true(gh_schema_validate(&s, obj, errs));
	assert_string_equal(json_string_value(json_object_get(obj, "email")),
	    "Ann@example.com");
	json_decref(obj);
	json_decref(errs);
}

static void
test_wipe(void **state)
{
	json_t *obj =
	    json_loads("{\"name\":\"ab\",\"secret\":\"hunter2\"}", 0, NULL);
	json_t *v = json_object_get(obj, "secret");

	(void)state;
	gh_schema_wipe(&s, obj);
	assert_memory_equal(json_string_value(v), "\0\0\0\0\0\0\0", 7);
	assert_string_equal(
	    json_string_value(json_object_get(obj, "name")), "ab");
	json_decref(obj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_kind),
	    cmocka_unit_test(test_order_and_normalise),
	    cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
