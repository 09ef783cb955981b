/*
 * log.h - the operational log (stderr, one line per event) and the audit
 * hook.
 *
 * Redaction lives here by construction: the log API takes no request
 * objects, headers or bodies, only format strings written by us, and no
 * call site passes a password, token, hash or key (checked in review and
 * by tests that grep the log).  Lines look like
 *   2026-11-23T15:04:42.298731Z info main: listening on 127.0.0.1:8000
 */
#ifndef GH_LOG_H
#define GH_LOG_H

enum gh_log_level {
	GH_LOG_DEBUG = 0,
	GH_LOG_INFO,
	GH_LOG_WARN,
	GH_LOG_ERROR,
};

/* Set the lowest level that is written (default INFO). Call before
 * threads start. */
void gh_log_set_level(enum gh_log_level lvl);

/* Parse "debug", "info", "warn", "error"; -1 when unknown. */
int gh_log_level_parse(const char *s);

void gh_log_write(enum gh_log_level lvl, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define gh_log_debug_f(...) gh_log_write(GH_LOG_DEBUG, __func__, __VA_ARGS__)
#define gh_log_info_f(...) gh_log_write(GH_LOG_INFO, __func__, __VA_ARGS__)
#define gh_log_warn_f(...) gh_log_write(GH_LOG_WARN, __func__, __VA_ARGS__)
#define gh_log_error_f(...) gh_log_write(GH_LOG_ERROR, __func__, __VA_ARGS__)

/* Log and exit(1): start-up failures only. */
void gh_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif /* GH_LOG_H */
