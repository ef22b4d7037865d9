/*
 * opt.c - socket options, fcntl and ioctl. Options the daemon needs go to
 * it (GETSOCKOPT/SETSOCKOPT); the ones only the library acts on
 * (SO_RCVTIMEO/SO_SNDTIMEO, SO_TYPE, O_NONBLOCK) stay here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "axnet/socket.h"
#include "lib.h"
#include "sys.h"
#include "optenc.h"
#include "ring.h"

AX_API int ax_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	struct axipc_setopt q = { .level = level, .name = optname };
	struct ax_sock *s = ax_sock_get(fd);
	int err;

	if (!s)
		return ax_sys_setsockopt(fd, level, optname, optval, optlen);
	if ((int)optlen < 0) {
		err = -EINVAL;
	} else if (optlen && !optval) {
		err = -EFAULT;
	} else if (level == SOL_SOCKET && ax_opt_is_timeo(optname)) {
		long ms;

		err = ax_timeo_decode(optval, optlen, &ms);
		if (!err) {
			if (ax_opt_is_rcvtimeo(optname))
				s->rcvtimeo_ms = ms;
			else
				s->sndtimeo_ms = ms;
		}
	} else {
		/* Linux reads what an option needs from the front. */
		q.len = optlen < AXIPC_OPT_MAX ? optlen : AXIPC_OPT_MAX;
		if (q.len)
			memcpy(q.val, optval, q.len);
		err = ax_call(AXIPC_SETSOCKOPT, s->id, &q, sizeof(q), NULL, 0, NULL);
		/* sendto checks it before a datagram enters the ring (io.c). */
		if (err >= 0 && level == IPPROTO_IPV6 && optname == IPV6_V6ONLY && q.len >= 4) {
			int v;

			memcpy(&v, optval, sizeof(v));
			s->v6only = v != 0;
		}
	}
	ax_obj_put(&s->o);
	return (int)ax_ret(err < 0 ? err : 0);
}

AX_API int ax_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	struct axipc_getopt q = { .level = level, .name = optname };
	struct axipc_getopt_rep rep;
	struct ax_sock *s = ax_sock_get(fd);
	int err = 0, v;

	if (!s)
		return ax_sys_getsockopt(fd, level, optname, optval, optlen);
	if (!optlen) {
		err = -EFAULT;
		goto out;
	}
	if ((int)*optlen < 0) {
		err = -EINVAL;
		goto out;
	}
	if (level == SOL_SOCKET && ax_opt_is_timeo(optname)) {
		uint8_t tv[sizeof(struct timeval)];

		ax_timeo_encode(ax_opt_is_rcvtimeo(optname) ? s->rcvtimeo_ms : s->sndtimeo_ms, tv);
		ax_opt_out(tv, sizeof(tv), optval, optlen);
		goto out;
	}
	if (level == SOL_SOCKET && (optname == SO_TYPE || optname == SO_DOMAIN ||
				    optname == SO_PROTOCOL)) {
		v = optname == SO_TYPE ? s->type : optname == SO_DOMAIN ? s->domain :
		    s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
		ax_opt_out(&v, sizeof(v), optval, optlen);
		goto out;
	}
	q.len = *optlen < AXIPC_OPT_MAX ? *optlen : AXIPC_OPT_MAX;
	err = ax_call(AXIPC_GETSOCKOPT, s->id, &q, sizeof(q), &rep, sizeof(rep), NULL);
	if (err >= 0) {
		if (rep.len > AXIPC_OPT_MAX)
			rep.len = AXIPC_OPT_MAX;
		ax_opt_out(rep.val, rep.len, optval, optlen);
	}
out:
	ax_obj_put(&s->o);
	return (int)ax_ret(err < 0 ? err : 0);
}

AX_API int ax_fcntl(int fd, int cmd, ...)
{
	struct ax_sock *s;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, void *); /* as glibc's fcntl: one word, whatever it is */
	va_end(ap);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		/* Any object of ours (a socket, an epoll set): the kernel's
		 * dup, entered in the table for the same object. */
		struct ax_obj *o = ax_fd_get(fd);

		if (!o)
			return ax_sys_fcntl(fd, cmd, arg);
		r = ax_sys_fcntl(fd, cmd, arg);
		if (r >= 0)
			r = (int)ax_ret(ax_obj_dup_install(o, r));
		ax_obj_put(o);
		return r;
	}
	s = ax_sock_get(fd);
	if (!s)
		return ax_sys_fcntl(fd, cmd, arg);
	switch (cmd) {
	case F_GETFL:
		r = O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
		break;
	case F_SETFL:
		s->nonblock = !!((long)arg & O_NONBLOCK);
		r = 0;
		break;
	case F_GETFD:
	case F_SETFD:
		r = ax_sys_fcntl(fd, cmd, arg);
		break;
	default:
		r = (int)ax_ret(-EINVAL);
		break;
	}
	ax_obj_put(&s->o);
	return r;
}

/* Bytes readable now: TCP the stream's, UDP the next datagram's. */
static int inq(struct ax_sock *s)
{
	struct axipc_ring *r = &s->slot->rx_ring;
	struct ax_ringmem m;
	uint32_t prod, cons;

	if (!ax_sock_ring(s, 0, &m))
		return 0;
	prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
	cons = __atomic_load_n(&r->cons, __ATOMIC_RELAXED);
	if (prod - cons > m.size)
		return 0;
	if (s->type == SOCK_DGRAM) {
		struct axipc_dgram d;
		uint32_t payload, skip;

		if (ax_dgram_rx_next(m.base, m.size, cons, prod, &d, &payload, &skip) > 0)
			return (int)d.len;
		return 0;
	}
	return prod - cons > INT_MAX ? INT_MAX : (int)(prod - cons);
}

static int outq(struct ax_sock *s)
{
	struct axipc_ring *r = &s->slot->tx_ring;
	struct ax_ringmem m;
	uint32_t used;

	if (!ax_sock_ring(s, 1, &m))
		return 0;
	used = __atomic_load_n(&r->prod, __ATOMIC_RELAXED) -
	       __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
	return used > m.size ? 0 : (int)used;
}

AX_API int ax_ioctl(int fd, unsigned long request, ...)
{
	struct ax_sock *s;
	va_list ap;
	int *arg, err = 0;

	va_start(ap, request);
	arg = va_arg(ap, int *);
	va_end(ap);
	s = ax_sock_get(fd);
	if (!s)
		return ax_sys_ioctl(fd, request, arg);
	switch (request) {
	case FIONBIO:
		if (!arg)
			err = -EFAULT;
		else
			s->nonblock = !!*arg;
		break;
	case FIONREAD: /* == SIOCINQ */
		if (s->state == AXS_LISTEN)
			err = -EINVAL; /* Linux */
		else if (!arg)
			err = -EFAULT;
		else
			*arg = inq(s);
		break;
	case SIOCOUTQ:
		if (s->state == AXS_LISTEN)
			err = -EINVAL;
		else if (!arg)
			err = -EFAULT;
		else
			*arg = outq(s);
		break;
	default:
		err = -ENOTTY;
		break;
	}
	ax_obj_put(&s->o);
	return (int)ax_ret(err);
}
