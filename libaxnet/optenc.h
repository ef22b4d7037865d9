/*
 * optenc.h - how option values look to the program (Linux's encodings),
 * pure functions so tests/unit/test_libaxnet_ring.c checks them without a
 * daemon: SO_RCVTIMEO/SO_SNDTIMEO (struct timeval, both the _OLD and
 * _NEW numbers, which on 64-bit share a layout), and getsockopt's copy-out.
 *
 * A timeout is kept in ms: 0 waits forever (Linux: {0, 0}), < 0 never
 * waits (Linux: a negative tv_sec sets a zero timeout: EAGAIN at once).
 * Linux rounds up to jiffies; we round up to ms.
 */
#ifndef AX_LIBAXNET_OPTENC_H
#define AX_LIBAXNET_OPTENC_H

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#ifndef SO_RCVTIMEO_OLD
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#endif
#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif

static inline int ax_opt_is_timeo(int name)
{
	return name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD || name == SO_RCVTIMEO_NEW ||
	       name == SO_SNDTIMEO_NEW;
}

static inline int ax_opt_is_rcvtimeo(int name)
{
	return name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW;
}

/* 0 with *ms, -EINVAL (short), -EDOM (tv_usec outside [0, 1e6)), as
 * Linux's sock_set_timeout. */
static inline int ax_timeo_decode(const void *val, socklen_t len, long *ms)
{
	struct timeval tv;

	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*ms = -1;
		return 0;
	}
	if (tv.tv_sec >= LONG_MAX / 1000 - 1) {
		*ms = 0; /* beyond any wait: forever, as Linux */
		return 0;
	}
	*ms = tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	return 0;
}

static inline void ax_timeo_encode(long ms, void *out)
{
	struct timeval tv = { 0, 0 };

	if (ms > 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
	}
	memcpy(out, &tv, sizeof(tv));
}

/* getsockopt's copy-out: at most *len bytes, *len the bytes copied. */
static inline void ax_opt_out(const void *src, socklen_t n, void *dst, socklen_t *len)
{
	if (*len > n)
		*len = n;
	if (*len && dst)
		memcpy(dst, src, *len);
}

#endif /* AX_LIBAXNET_OPTENC_H */
