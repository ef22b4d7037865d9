/*
 * errmsg.h - how Axiom's functions report an error: the message into the
 * caller's buffer (err may be NULL), the negative errno as the result.
 */
#ifndef AXIOM_ERRMSG_H
#define AXIOM_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int axiom_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline int axiom_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

#endif /* AXIOM_ERRMSG_H */
