/*
 * ipc_decode.c - see ipc_decode.h. Every length is checked against the
 * fixed layout before anything is copied; nothing is read twice from
 * memory the program can change (the caller gives a private copy of a
 * control packet; ring records are copied out once).
 */
#include "daemon/ipc_decode.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static int zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

int ipc_decode_req(const void *buf, size_t n, struct axipc_req *out)
{
	struct axipc_hdr h;
	long body;

	memset(out, 0, sizeof(*out));
	if (n < sizeof(h))
		return -EBADMSG;
	memcpy(&h, buf, sizeof(h));
	body = axipc_req_body_len(h.type);
	if (body < 0 || h.flags || h.len != n || n != sizeof(h) + (size_t)body)
		return -EBADMSG;
	out->h = h;
	memcpy(&out->u, (const uint8_t *)buf + sizeof(h), (size_t)body);
	switch (h.type) {
	case AXIPC_HELLO:
		if (out->u.hello.flags)
			return -EBADMSG;
		break;
	case AXIPC_ATTACH:
		if (out->u.attach.flags)
			return -EBADMSG;
		break;
	case AXIPC_SOCKET:
		if (out->u.socket.pad)
			return -EBADMSG;
		break;
	case AXIPC_BIND:
	case AXIPC_CONNECT:
		if (out->u.addr.len > AXIPC_SOCKADDR_MAX ||
		    !zero(out->u.addr.addr + out->u.addr.len, AXIPC_SOCKADDR_MAX - out->u.addr.len))
			return -EBADMSG;
		break;
	case AXIPC_LISTEN:
	case AXIPC_SHUTDOWN:
	case AXIPC_ACCEPT:
	case AXIPC_GETNAME:
		if (out->u.i.pad)
			return -EBADMSG;
		break;
	case AXIPC_SETSOCKOPT:
		if (out->u.setopt.pad || out->u.setopt.len > AXIPC_OPT_MAX)
			return -EBADMSG;
		break;
	case AXIPC_GETSOCKOPT:
		if (out->u.getopt.pad || out->u.getopt.len > AXIPC_OPT_MAX)
			return -EBADMSG;
		break;
	default: /* CLOSE: no body */
		break;
	}
	return 0;
}

long ipc_dgram_next(const uint8_t *ring, uint32_t size, uint32_t cons, uint32_t prod,
		    struct axipc_dgram *d, uint32_t *payload)
{
	uint32_t avail = prod - cons, pos = cons & (size - 1), to_end = size - pos, space;

	if (avail == 0)
		return 0;
	if (avail > size || (pos & 7) || (avail & 7))
		return -EBADMSG;
	if (to_end < sizeof(*d)) {
		/* Too little left for a header: implicitly padding. */
		if (avail < to_end)
			return -EBADMSG;
		memset(d, 0, sizeof(*d));
		d->family = AXIPC_DGRAM_PAD;
		*payload = pos;
		return to_end;
	}
	if (avail < sizeof(*d))
		return -EBADMSG;
	memcpy(d, ring + pos, sizeof(*d));
	if (d->family == AXIPC_DGRAM_PAD) {
		if (d->len != to_end - sizeof(*d) || avail < to_end)
			return -EBADMSG;
		*payload = pos;
		return to_end;
	}
	if (d->family != AF_UNSPEC && d->family != AF_INET && d->family != AF_INET6)
		return -EBADMSG;
	if (d->len > AXIPC_DGRAM_MAX)
		return -EBADMSG;
	space = AXIPC_DGRAM_SPACE(d->len);
	if (space > to_end || space > avail)
		return -EBADMSG;
	*payload = pos + (uint32_t)sizeof(*d);
	return space;
}
