/*
 * dns.c - see dns.h.
 */
#include "dns.h"

#include <string.h>
#include <strings.h>

#define HDR_LEN 12
#define FLAG_QR 0x8000
#define FLAG_TC 0x0200
#define FLAG_RD 0x0100

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int dns_query(uint8_t *buf, size_t size, uint16_t id, const char *name, uint16_t qtype)
{
	size_t len = strlen(name), off = HDR_LEN;
	const char *p = name;

	/* Labels: one length octet per label, the name's octets, the root. */
	if (!len || len > DNS_NAME_MAX - 2 || size < HDR_LEN + len + 2 + 4)
		return -1;
	memset(buf, 0, HDR_LEN);
	put16(buf, id);
	put16(buf + 2, FLAG_RD);
	put16(buf + 4, 1); /* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 63)
			return -1;
		buf[off++] = (uint8_t)l;
		memcpy(buf + off, p, l);
		off += l;
		p += l;
		if (*p == '.' && !*++p)
			return -1; /* a final dot: the caller strips it */
	}
	buf[off++] = 0;
	put16(buf + off, qtype);
	put16(buf + off + 2, DNS_CLASS_IN);
	return (int)(off + 4);
}

/*
 * The name at *off in msg, dotted and lowercase, into out (NULL: only
 * skipped); *off moves past it where it is written (not where a pointer
 * leads). 0, or -1 malformed (RFC 1035 4.1.4).
 */
static int read_name(const uint8_t *msg, size_t len, size_t *off, char *out)
{
	size_t pos = *off, n = 0;
	int ptrs = 0, jumped = 0;

	for (;;) {
		uint8_t l;

		if (pos >= len)
			return -1;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++ptrs > DNS_MAX_PTRS)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			pos = (size_t)(get16(msg + pos) & 0x3fff);
			continue;
		}
		if (l & 0xc0)
			return -1; /* 01 and 10: reserved (RFC 1035, RFC 6891) */
		pos++;
		if (l == 0)
			break;
		if (pos + l > len || n + l + 1 >= DNS_NAME_MAX)
			return -1;
		if (out) {
			if (n)
				out[n++] = '.';
			for (uint8_t i = 0; i < l; i++) {
				char c = (char)msg[pos + i];

				out[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
			}
		}
		pos += l;
	}
	if (out)
		out[n] = '\0';
	if (!jumped)
		*off = pos;
	return 0;
}

int dns_answer_a(const uint8_t *msg, size_t len, uint16_t id, const char *qname, uint32_t *addrs,
		 int max, char canon[DNS_NAME_MAX], int *rcode, int *tc)
{
	char name[DNS_NAME_MAX], want[DNS_NAME_MAX];
	uint16_t flags, qd, an;
	size_t off = HDR_LEN;
	int n = 0, i, round;

	if (len < HDR_LEN || get16(msg) != id)
		return -1;
	flags = get16(msg + 2);
	qd = get16(msg + 4);
	an = get16(msg + 6);
	if (!(flags & FLAG_QR) || qd != 1)
		return -1;
	*rcode = flags & 0xf;
	*tc = !!(flags & FLAG_TC);
	/* The question must be ours (RFC 5452 9.1: id and question). */
	if (read_name(msg, len, &off, name) < 0 || off + 4 > len || strcasecmp(name, qname) ||
	    get16(msg + off) != DNS_TYPE_A || get16(msg + off + 2) != DNS_CLASS_IN)
		return -1;
	off += 4;
	strncpy(want, name, sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	/* CNAMEs may come in any order: follow the chain over the answer
	 * section again while it moves (at most an times), then take A. */
	for (round = 0; round <= an; round++) {
		size_t o = off;
		int moved = 0;

		n = 0;
		for (i = 0; i < an; i++) {
			uint16_t type, cls, rdlen;
			size_t rd;

			if (read_name(msg, len, &o, name) < 0 || o + 10 > len)
				return -1;
			type = get16(msg + o);
			cls = get16(msg + o + 2);
			rdlen = get16(msg + o + 8);
			rd = o + 10;
			if (rd + rdlen > len)
				return -1;
			o = rd + rdlen;
			if (cls != DNS_CLASS_IN || strcasecmp(name, want))
				continue;
			if (type == DNS_TYPE_CNAME) {
				size_t t = rd;
				char target[DNS_NAME_MAX];

				if (read_name(msg, len, &t, target) < 0 || t > rd + rdlen)
					return -1;
				if (strcasecmp(target, want)) {
					memcpy(want, target, sizeof(want));
					moved = 1;
					break;
				}
			} else if (type == DNS_TYPE_A && rdlen == 4 && n < max) {
				memcpy(&addrs[n++], msg + rd, 4);
			}
		}
		if (!moved)
			break;
	}
	memcpy(canon, want, DNS_NAME_MAX);
	return n;
}
