// SPDX-License-Identifier: GPL-2.0
/* Messages by level, libbpf's included: errors and warnings on stderr with
 * the program name in front, information on stdout.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "log.h"

enum log_level log_level = LOG_INFO;

static const char * const level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARNING] = "warning",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
	[LOG_VERBOSE] = "verbose",
};

int log_level_parse(const char *name, enum log_level *level)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(name, level_names[i])) {
			*level = i;
			return 0;
		}
	}
	return -1;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	FILE *f = level <= LOG_WARNING ? stderr : stdout;

	if (level > log_level)
		return;
	if (level == LOG_ERROR)
		fputs("bpfwg: ", f);
	else if (level == LOG_WARNING)
		fputs("bpfwg: warning: ", f);
	vfprintf(f, fmt, ap);
	fflush(f);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* libbpf's warnings come with the verifier log on a failed load: debug. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	enum log_level ours = level == LIBBPF_DEBUG ? LOG_VERBOSE : LOG_DEBUG;

	log_vmsg(ours, fmt, ap);
	return 0;
}

void log_setup(enum log_level level)
{
	log_level = level;
	libbpf_set_print(libbpf_print);
}
