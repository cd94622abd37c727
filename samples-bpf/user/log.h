/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_LOG_H
#define __BPFWG_LOG_H

#include <linux/compiler.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

enum log_level {
	LOG_ERROR,
	LOG_WARNING,
	LOG_INFO,
	LOG_DEBUG,
	LOG_VERBOSE,
};

extern enum log_level log_level;

int log_level_parse(const char *name, enum log_level *level);
void log_setup(enum log_level level);
__printf(2, 3) void log_msg(enum log_level level, const char *fmt, ...);

#define pr_err(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* __BPFWG_LOG_H */
