/*
 * log.c - line-oriented operational log on stderr.
 *
 * Each line is formatted into a stack buffer and written with one
 * write(2), so lines from different threads never interleave.  Control
 * characters in the formatted text are replaced by '?', so a hostile
 * username cannot forge log lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util/timefmt.h"
#include "util/banned.h"

static enum gh_log_level min_level = GH_LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void
gh_log_set_level(enum gh_log_level lvl)
{
	min_level = lvl;
}

int
gh_log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static void __attribute__((format(printf, 3, 0)))
vlog(enum gh_log_level lvl, const char *func, const char *fmt, va_list ap)
{
	char line[1024], ts[GH_TIME_BUFSZ];
	int n, m;
	size_t i, len;

	gh_time_rfc3339(gh_time_now_usec(), ts);
	n = snprintf(line, sizeof(line), "%s %s %s: ", ts, names[lvl], func);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	len = strlen(line);
	for (i = (size_t)n; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

void
gh_log_write(enum gh_log_level lvl, const char *func, const char *fmt, ...)
{
	va_list ap;

	if (lvl < min_level)
		return;
	va_start(ap, fmt);
	vlog(lvl, func, fmt, ap);
	va_end(ap);
}

void
gh_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(GH_LOG_ERROR, "fatal", fmt, ap);
	va_end(ap);
	exit(1);
}
