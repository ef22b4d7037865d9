#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum ax_log_level log_level = AX_LOG_INFO;

void ax_log_set_level(enum ax_log_level lvl)
{
	log_level = lvl;
}

static void vlog(enum ax_log_level lvl, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error", "warn", "info", "debug" };
	struct timespec ts;

	if (lvl > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "axnet[%ld.%03ld] %s: ", (long)ts.tv_sec,
		ts.tv_nsec / 1000000, tag[lvl]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ax_log(enum ax_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

int log_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(AX_LOG_ERROR, fmt, ap);
	va_end(ap);
	return err;
}
