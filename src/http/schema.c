/*
 * schema.c - request body validation against a schema (schema.h).
 *
 * The messages are pydantic 1.10's, byte for byte, as the seed's FastAPI
 * app answers them: its clients and tests read them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "http/resp.h"
#include "http/schema.h"
#include "util/username.h"
#include "util/utf8.h"
#include "util/validate.h"
#include "util/banned.h"

static void
err(json_t *errs, const struct gh_field *f, const char *msg, const char *type,
    json_t *ctx)
{
	gh_verr_add(errs, "body", f->name, -1, msg, type, ctx);
}

static bool
check_str(const struct gh_field *f, json_t *v, json_t *errs)
{
	const char *why = NULL;
	char msg[160];
	size_t n;

	if (!json_is_string(v)) {
		err(errs, f, "str type expected", "type_error.str", NULL);
		return false;
	}
	if (f->type == GH_F_EMAIL)
		return true; /* its own rules, below */
	n = gh_utf8_count(json_string_value(v), json_string_length(v));
	if (n < (size_t)f->min) {
		snprintf(msg, sizeof(msg),
		    "ensure this value has at least %lld characters",
		    (long long)f->min);
		err(errs, f, msg, "value_error.any_str.min_length",
		    json_pack("{s:I}", "limit_value", (json_int_t)f->min));
		return false;
	}
	if (f->max > 0 && n > (size_t)f->max) {
		snprintf(msg, sizeof(msg),
		    "ensure this value has at most %lld characters",
		    (long long)f->max);
		err(errs, f, msg, "value_error.any_str.max_length",
		    json_pack("{s:I}", "limit_value", (json_int_t)f->max));
		return false;
	}
	if ((f->flags & GH_F_USERNAME) &&
	    (gh_utf8_has_nul(json_string_value(v), json_string_length(v)) ||
	        !gh_username_check(
	            json_string_value(v), json_string_length(v), &why))) {
		snprintf(msg, sizeof(msg), "username %s",
		    why != NULL ? why : "contains a NUL byte");
		err(errs, f, msg, "value_error.username", NULL);
		return false;
	}
	return true;
}

/* email-validator's checks; the normalised address replaces the value */
static bool
check_email(const struct gh_field *f, json_t *obj, json_t *v, json_t *errs)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	char msg[96], *norm;
	bool ok = false;

	norm = gh_xmalloc(n + 1);
	if (strlen(s) != n || !gh_email_normalize(s, n, norm)) {
		err(errs, f, "value is not a valid email address",
		    "value_error.email", NULL);
	} else if (f->max > 0 &&
	           gh_utf8_count(norm, strlen(norm)) > (size_t)f->max) {
		snprintf(msg, sizeof(msg),
		    "ensure this value has at most %lld characters",
		    (long long)f->max);
		err(errs, f, msg, "value_error", NULL);
	} else {
		json_object_set_new(obj, f->name, json_string(norm));
		ok = true;
	}
	free(norm);
	return ok;
}

static bool
check_int(const struct gh_field *f, json_t *v, json_t *errs)
{
	char msg[96];
	json_int_t i;
	bool lo;

	if (!json_is_integer(v)) {
		err(errs, f, "value is not a valid integer",
		    "type_error.integer", NULL);
		return false;
	}
	i = json_integer_value(v);
	if (f->max <= 0 || (i >= f->min && i <= f->max))
		return true;
	lo = i < f->min;
	snprintf(msg, sizeof(msg),
	    lo ? "ensure this value is greater than or equal to %lld"
	       : "ensure this value is less than or equal to %lld",
	    (long long)(lo ? f->min : f->max));
	err(errs, f, msg,
	    lo ? "value_error.number.not_ge" : "value_error.number.not_le",
	    json_pack(
	        "{s:I}", "limit_value", (json_int_t)(lo ? f->min : f->max)));
	return false;
}

/* Is v (NUL-free) one of the '|'-separated values in list? */
static bool
enum_has(const char *list, const char *v, size_t len)
{
	const char *p = list, *e;

	for (;;) {
		e = strchr(p, '|');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == len && memcmp(p, v, len) == 0)
			return true;
		if (*e == '\0')
			return false;
		p = e + 1;
	}
}

static bool
check_enum(const struct gh_field *f, json_t *v, json_t *errs)
{
	char msg[256], *copy, *tok, *save = NULL;
	size_t len = 0;
	json_t *vals;

	if (json_is_string(v) &&
	    strlen(json_string_value(v)) == json_string_length(v) &&
	    enum_has(f->extra, json_string_value(v), json_string_length(v)))
		return true;
	/* "value is not a valid enumeration member; permitted: 'a', 'b'" */
	vals = json_array();
	copy = gh_xstrdup(f->extra);
	len = (size_t)snprintf(msg, sizeof(msg),
	    "value is not a valid enumeration member; permitted: ");
	for (tok = strtok_r(copy, "|", &save); tok != NULL;
	     tok = strtok_r(NULL, "|", &save)) {
		if (len < sizeof(msg))
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			    "%s'%s'", json_array_size(vals) ? ", " : "", tok);
		json_array_append_new(vals, json_string(tok));
	}
	free(copy);
	err(errs, f, msg, "type_error.enum",
	    json_pack("{s:o}", "enum_values", vals));
	return false;
}

/* A list of enum values: each element checked as GH_F_ENUM, its error
 * located at its index (pydantic's ["body", name, i]). */
static void
check_enums(const struct gh_field *f, json_t *v, json_t *errs)
{
	struct gh_field one = *f;
	json_t *sub, *e, *loc;
	size_t i, n;
	char msg[96];

	if (!json_is_array(v)) {
		err(errs, f, "value is not a valid list", "type_error.list",
		    NULL);
		return;
	}
	if (json_array_size(v) < (size_t)f->min) {
		snprintf(msg, sizeof(msg),
		    "ensure this value has at least %lld items",
		    (long long)f->min);
		err(errs, f, msg, "value_error.list.min_items",
		    json_pack("{s:I}", "limit_value", (json_int_t)f->min));
		return;
	}
	one.type = GH_F_ENUM;
	json_array_foreach(v, i, e)
	{
		sub = json_array();
		if (!check_enum(&one, e, sub)) {
			/* ["body", name] -> ["body", name, i] */
			n = json_array_size(sub);
			loc =
			    json_object_get(json_array_get(sub, n - 1), "loc");
			json_array_append_new(loc, json_integer((json_int_t)i));
			json_array_extend(errs, sub);
		}
		json_decref(sub);
	}
}

bool
gh_schema_validate(const struct gh_schema *s, json_t *obj, json_t *errs)
{
	const struct gh_field *f;
	size_t before = json_array_size(errs);
	json_t *v;

	for (f = s->fields; f != NULL && f->name != NULL; f++) {
		v = json_object_get(obj, f->name);
		if (v == NULL) {
			if (f->flags & GH_F_REQ)
				err(errs, f, "field required",
				    "value_error.missing", NULL);
			continue;
		}
		if (json_is_null(v)) {
			if (!(f->flags & GH_F_NULLABLE))
				err(errs, f, "none is not an allowed value",
				    "type_error.none.not_allowed", NULL);
			continue;
		}
		switch (f->type) {
		case GH_F_STR:
		case GH_F_PASSWORD:
			check_str(f, v, errs);
			break;
		case GH_F_EMAIL:
			if (check_str(f, v, errs))
				check_email(f, obj, v, errs);
			break;
		case GH_F_INT:
			check_int(f, v, errs);
			break;
		case GH_F_BOOL:
			if (!json_is_boolean(v))
				err(errs, f,
				    "value could not be parsed to a boolean",
				    "type_error.bool", NULL);
			break;
		case GH_F_ENUM:
			check_enum(f, v, errs);
			break;
		case GH_F_ENUMS:
			check_enums(f, v, errs);
			break;
		case GH_F_TIME:
		case GH_F_REF:
		case GH_F_REFS:
		case GH_F_RAW:
			break; /* response-only kinds: nothing to check */
		}
	}
	return json_array_size(errs) == before;
}

void
gh_schema_wipe(const struct gh_schema *s, json_t *obj)
{
	const struct gh_field *f;
	json_t *v;

	for (f = s->fields; f != NULL && f->name != NULL; f++) {
		if (f->type != GH_F_PASSWORD)
			continue;
		v = json_object_get(obj, f->name);
		if (json_is_string(v))
			sodium_memzero((void *)(uintptr_t)json_string_value(v),
			    json_string_length(v));
	}
}
