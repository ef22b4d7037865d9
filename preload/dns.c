/*
 * dns.c - see dns.h. RFC 1035 4.1: header, question, resource records;
 * 4.1.4: compression pointers (each must point backwards, so a loop
 * cannot be built; and we stop after a bounded number anyway).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <strings.h>

#include "dns.h"

#define T_A AXP_DNS_A
#define T_AAAA AXP_DNS_AAAA
#define T_CNAME 5
#define C_IN 1
#define HDR 12
#define MAX_CNAME 8
#define MAX_RR 64 /* answer records looked at */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int axp_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, int qtype)
{
	size_t at = HDR, total = 0;
	const char *p = name;

	if (cap < HDR + 4 + 2 || (qtype != T_A && qtype != T_AAAA))
		return -EINVAL;
	memset(buf, 0, HDR);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	while (*p) {
		size_t len = strcspn(p, ".");

		if (len == 0 || len > 63)
			return -EINVAL;
		total += len + 1;
		if (total > 254 || at + 1 + len + 1 + 4 > cap)
			return -EINVAL;
		buf[at++] = (uint8_t)len;
		memcpy(buf + at, p, len);
		at += len;
		p += len;
		if (*p == '.')
			p++;
	}
	if (at == HDR)
		return -EINVAL; /* the root: not a host */
	buf[at++] = 0;
	buf[at++] = 0;
	buf[at++] = (uint8_t)qtype;
	buf[at++] = 0;
	buf[at++] = C_IN;
	return (int)at;
}

/*
 * The name at *off in text (lower case, no trailing dot) into out
 * (AXP_DNS_NAME_MAX); *off moves past it (past the first pointer). 0 or
 * -EPROTO.
 */
static int read_name(const uint8_t *m, size_t n, size_t *off, char *out)
{
	size_t at = *off, len = 0, end = 0;
	int jumps = 0;

	for (;;) {
		uint8_t l;

		if (at >= n)
			return -EPROTO;
		l = m[at];
		if ((l & 0xC0) == 0xC0) {
			size_t to;

			if (at + 1 >= n || ++jumps > 16)
				return -EPROTO;
			to = (size_t)(l & 0x3F) << 8 | m[at + 1];
			if (!end)
				end = at + 2;
			if (to >= at)
				return -EPROTO; /* forward or self: refuse */
			at = to;
			continue;
		}
		if (l & 0xC0)
			return -EPROTO; /* 0x40, 0x80: not in use */
		if (l == 0) {
			at++;
			break;
		}
		if (at + 1 + l > n || len + l + 2 > AXP_DNS_NAME_MAX)
			return -EPROTO;
		if (len)
			out[len++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)m[at + 1 + i];
			out[len++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		at += 1 + l;
	}
	out[len] = 0;
	*off = end ? end : at;
	return 0;
}

/* name as the answer spells it: lower case, no trailing dot. */
static void norm(const char *name, char *out)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '.')
		n--;
	if (n >= AXP_DNS_NAME_MAX)
		n = AXP_DNS_NAME_MAX - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] - 'A' + 'a') : name[i];
	out[n] = 0;
}

int axp_dns_answer(const uint8_t *m, size_t n, uint16_t id, const char *name, int qtype,
		   struct axp_addr *out, int max, char *canon)
{
	char want[AXP_DNS_NAME_MAX], owner[AXP_DNS_NAME_MAX], target[AXP_DNS_NAME_MAX];
	size_t off = HDR, rr_start;
	unsigned qd, an, rcode;
	int k = 0;

	if (qtype != T_A && qtype != T_AAAA)
		return -EPROTO;
	if (n < HDR || get16(m) != id || !(m[2] & 0x80) || (m[2] & 0x78))
		return -EPROTO; /* not a response to a standard query */
	if (m[2] & 0x02)
		return -EAGAIN; /* TC: the rest did not fit */
	rcode = m[3] & 0x0F;
	qd = get16(m + 4);
	an = get16(m + 6);
	if (rcode == 3)
		return -ENOENT;
	if (rcode != 0)
		return -EAGAIN;
	norm(name, want);
	/* The question must be ours. */
	if (qd != 1 || read_name(m, n, &off, owner) < 0 || off + 4 > n || strcmp(owner, want) ||
	    get16(m + off) != qtype || get16(m + off + 2) != C_IN)
		return -EPROTO;
	off += 4;
	rr_start = off;
	/* Walk the CNAME chain from the name asked, then take its records of
	 * the type asked. */
	for (int hop = 0; hop <= MAX_CNAME; hop++) {
		int moved = 0;

		off = rr_start;
		for (unsigned i = 0; i < an && i < MAX_RR; i++) {
			uint16_t type, class, rdlen;
			size_t rd;

			if (read_name(m, n, &off, owner) < 0 || off + 10 > n)
				return -EPROTO;
			type = get16(m + off);
			class = get16(m + off + 2);
			rdlen = get16(m + off + 8);
			rd = off + 10;
			if (rd + rdlen > n)
				return -EPROTO;
			off = rd + rdlen;
			if (class != C_IN || strcmp(owner, want))
				continue;
			if (type == T_CNAME && !moved) {
				size_t t = rd;

				if (read_name(m, rd + rdlen, &t, target) < 0)
					return -EPROTO;
				moved = 1;
			} else if (type == T_A && qtype == T_A && rdlen == 4 && k < max) {
				memset(&out[k], 0, sizeof(out[k]));
				out[k].family = AF_INET;
				memcpy(&out[k++].u.v4, m + rd, 4);
			} else if (type == T_AAAA && qtype == T_AAAA && rdlen == 16 && k < max) {
				memset(&out[k], 0, sizeof(out[k]));
				out[k].family = AF_INET6;
				memcpy(&out[k++].u.v6, m + rd, 16);
			}
		}
		if (k || !moved)
			break;
		memcpy(want, target, sizeof(want));
	}
	if (canon)
		memcpy(canon, want, AXP_DNS_NAME_MAX);
	return k;
}
