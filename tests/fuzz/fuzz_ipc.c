/*
 * fuzz_ipc.c - libFuzzer target for what the daemon reads from programs
 * (daemon/ipc_decode.h): control requests from api.sock and UDP records
 * from a socket's tx ring, both untrusted.
 *
 * The input's first byte steers:
 *
 *   bit 0  0: a control request; 1: a tx ring of UDP records
 *   bit 1  requests: fix up the header first: the second byte is the type
 *          and the header's len is the packet's length, so the fuzzer gets
 *          past the length check to the bodies
 *   rings: bits 1-3 the ring's size (64 << n bytes); the next 8 bytes are
 *          cons and prod (little-endian), prod clamped to cons + size;
 *          the rest fills the ring (zeros after it)
 *
 * Beyond "no crash, no sanitizer report", it checks: an accepted request
 * is exactly the bytes given (it is the wire layout), with its bounds
 * (address and option lengths) kept; a ring walk takes 8-aligned records
 * that end inside the ring and inside [cons, prod), with payloads inside
 * the ring, and ends exactly at prod or at an error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ipc_decode.h"

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void fuzz_req(const uint8_t *data, size_t size, int fixup)
{
	uint8_t buf[AXIPC_MSG_MAX + 64];
	struct axipc_req req;
	size_t n = size < sizeof(buf) ? size : sizeof(buf);
	int rc;

	memcpy(buf, data, n);
	if (fixup && n >= 1) {
		struct axipc_hdr h;
		uint8_t type = data[0];
		long body = axipc_req_body_len(type);

		/* type, then the body; the header is made right. */
		n = size - 1 + sizeof(h);
		if (body >= 0 && n > sizeof(h) + (size_t)body)
			n = sizeof(h) + (size_t)body;
		if (n > sizeof(buf))
			n = sizeof(buf);
		memmove(buf + sizeof(h), data + 1, n - sizeof(h));
		memset(&h, 0, sizeof(h));
		h.type = type;
		h.len = (uint32_t)n;
		h.id = 7;
		memcpy(buf, &h, sizeof(h));
	}
	rc = ipc_decode_req(buf, n, &req);
	if (rc) {
		CHECK(rc == -EBADMSG);
		return;
	}
	CHECK(req.h.len == n && n <= AXIPC_MSG_MAX);
	CHECK(memcmp(&req, buf, n) == 0);
	CHECK(req.h.type >= AXIPC_HELLO && req.h.type < AXIPC_TYPE_MAX);
	if (req.h.type == AXIPC_BIND || req.h.type == AXIPC_CONNECT)
		CHECK(req.u.addr.len <= AXIPC_SOCKADDR_MAX);
	if (req.h.type == AXIPC_SETSOCKOPT)
		CHECK(req.u.setopt.len <= AXIPC_OPT_MAX);
	if (req.h.type == AXIPC_GETSOCKOPT)
		CHECK(req.u.getopt.len <= AXIPC_OPT_MAX);
	/* Decoding again gives the same. */
	{
		struct axipc_req again;

		CHECK(ipc_decode_req(buf, n, &again) == 0);
		CHECK(memcmp(&again, &req, sizeof(req)) == 0);
	}
}

static void fuzz_ring(const uint8_t *data, size_t size, unsigned shift)
{
	uint32_t rsize = 64u << shift, cons, prod, pos;
	uint8_t *ring;
	unsigned steps = 0;

	if (size < 8)
		return;
	memcpy(&cons, data, 4);
	memcpy(&prod, data + 4, 4);
	if (prod - cons > rsize)
		prod = cons + (prod - cons) % (rsize + 1);
	data += 8;
	size -= 8;
	ring = calloc(1, rsize);
	if (!ring)
		abort();
	memcpy(ring, data, size < rsize ? size : rsize);
	pos = cons;
	for (;;) {
		struct axipc_dgram d;
		uint32_t payload = ~0u;
		long n = ipc_dgram_next(ring, rsize, pos, prod, &d, &payload);

		if (n == 0) {
			CHECK(pos == prod);
			break;
		}
		if (n < 0) {
			CHECK(n == -EBADMSG);
			break;
		}
		CHECK((n & 7) == 0 && (uint32_t)n <= prod - pos);
		CHECK((pos & (rsize - 1)) + (uint32_t)n <= rsize);
		if (d.family != AXIPC_DGRAM_PAD) {
			CHECK(d.len <= AXIPC_DGRAM_MAX);
			CHECK(payload == (pos & (rsize - 1)) + sizeof(d));
			CHECK(payload + d.len <= rsize);
			CHECK(AXIPC_DGRAM_SPACE(d.len) == (uint32_t)n);
		} else {
			CHECK((pos & (rsize - 1)) + (uint32_t)n == rsize);
		}
		pos += (uint32_t)n;
		CHECK(++steps <= rsize / 8);
	}
	free(ring);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_ring(data + 1, size - 1, (data[0] >> 1) & 7);
	else
		fuzz_req(data + 1, size - 1, data[0] & 2);
	return 0;
}
