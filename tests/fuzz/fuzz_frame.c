/*
 * fuzz_frame.c - libFuzzer target for the engine's receive path: each input
 * is one frame for stack_input(), on a stack that lives across inputs (so
 * ARP cache, queue and timers see long histories).
 *
 * The first input byte steers, the rest is the frame:
 *
 *   bits 0-2  0: the bytes are the whole frame
 *             1: prepend an Ethernet header to our MAC, type IPv4
 *             2: prepend a broadcast Ethernet header, type ARP
 *             3: as 1, and make the IPv4 header plausible (version 4,
 *                tot_len clamped to the frame, header checksum and, for
 *                ICMP, the ICMP checksum fixed), so the fuzzer is not
 *                stuck at the checksums in front of the ICMP code
 *             4: as 2, and make the ARP packet plausible (Ethernet/IPv4,
 *                request or reply, unicast sender, addresses on our
 *                subnet, often for us), so it reaches the cache code
 *             5: as 4, sent to our MAC
 *             6: as 3, from a neighbour on our subnet to our address
 *             7: the whole frame, but to our MAC
 *   bits 3-4  advance the clock by 1 ms, 400 ms, 1.1 s or 20 s before the
 *             frame (timers run every input: ARP retries and expiry)
 *   bit 5     the device has no TX buffer for this input
 *   bit 6     the next byte is the device's TX buffer size (tiny buffers)
 *   bit 7     after the frame, stack_ping() a neighbour chosen by the
 *             frame's last bytes (fills the ARP queue, races resolution)
 *
 * Beyond "no crash, no sanitizer report", after every input it checks
 * that the ARP tables are consistent, the device contract held, and every
 * IPv4 frame the engine sent has correct IP and ICMP checksums (a
 * fragment: its IP header's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fake_netif.h"

/* The Makefile builds with plain -fsanitize=undefined, which reports and
 * carries on: make a UBSan report a crash the fuzzer keeps. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* Clock steps: within a retry, one retry, a good part of a lifetime. */
static const uint64_t step_ms[4] = { 1, 400, 1100, 20000 };

static struct fake_host H;
static int ready;
static volatile unsigned int sink;

static void on_reply(void *arg, const struct icmp_echo_reply *r)
{
	unsigned int sum = 0;
	size_t i;

	(void)arg;
	/* Touch every byte we were promised, for ASan. */
	for (i = 0; i < r->data_len; i++)
		sum += r->data[i];
	sink += sum;
}

static void setup(void)
{
	if (fake_host_init(&H))
		abort();
	H.s.echo_reply_cb = on_reply;
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	fake_learn(&H, FAKE_GW_IP, FAKE_GW_MAC);
	ready = 1;
}

/* Make the IPv4 packet at ip (len bytes) get past the checks in front of
 * the protocol code, keeping whatever the fuzzer chose beyond that. */
static void plausible_ipv4(uint8_t *ip, size_t len)
{
	size_t hlen, tot;

	if (len < 20)
		return;
	ip[0] = (uint8_t)(0x40 | (ip[0] & 0x0f));
	tot = fake_get16(ip + 2);
	if (tot > len) {
		tot = len;
		fake_put16(ip + 2, (uint16_t)tot);
	}
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < 20 || hlen > tot)
		return;
	if (ip[9] == IP_PROTO_ICMP && tot - hlen >= 4) {
		uint8_t *icmp = ip + hlen;

		icmp[2] = icmp[3] = 0;
		fake_put16(icmp + 2, fake_csum(icmp, tot - hlen));
	}
	fake_ipv4_fix_csum(ip);
}

/* The same for an ARP packet at a (len bytes). */
static void plausible_arp(uint8_t *a, size_t len)
{
	uint32_t spa, tpa;

	if (len < 28)
		return;
	fake_put16(a, ARP_HTYPE_ETHER);
	fake_put16(a + 2, ETHTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	fake_put16(a + 6, (uint16_t)(ARP_OP_REQUEST + (a[7] & 1)));
	a[8] &= 0xfe;
	/* Neighbours 10.0.0.x, the same ones bit 7 pings. */
	spa = FAKE_IP(10, 0, 0, a[17]);
	tpa = (a[27] & 3) ? FAKE_OUR_IP : FAKE_IP(10, 0, 0, a[27]);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 24, &tpa, 4);
}

/* Every IPv4 frame we sent carries correct checksums. */
static void check_sent(void)
{
	unsigned int i;

	for (i = 0; i < H.nif.n && i < FAKE_MAX_FRAMES; i++) {
		const struct fake_frame *fr = &H.nif.frames[i];
		struct fake_icmp_view v;

		if (fr->len < ETH_HLEN_AX ||
		    fake_get16(fr->data + 12) != ETHTYPE_IPV4)
			continue;
		const uint8_t *ip = fr->data + ETH_HLEN_AX;

		/* Every header's checksum; the ICMP one of unfragmented
		 * messages only (a fragment's covers the whole datagram, and
		 * a last fragment may hold less than an ICMP header). */
		if (fr->len < ETH_HLEN_AX + 20 || (ip[0] & 0x0f) < 5 ||
		    fr->len < ETH_HLEN_AX + (size_t)(ip[0] & 0x0f) * 4 ||
		    fake_csum(ip, (size_t)(ip[0] & 0x0f) * 4) != 0)
			abort();
		if (fake_get16(ip + 6) & (IP_FLAG_MF | IP_OFFMASK))
			continue;
		if (fake_parse_icmp(fr, &v) || !v.ip_csum_ok || !v.icmp_csum_ok)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[8192];
	uint8_t ctl;
	size_t len = 0, hdr = 0;

	if (!ready)
		setup();
	if (size == 0)
		return 0;
	ctl = data[0];
	data++;
	size--;

	H.nif.no_buffers = (ctl >> 5) & 1;
	H.nif.cap = AX_FRAME_MAX;
	if ((ctl & 0x40) && size) {
		H.nif.cap = data[0];
		data++;
		size--;
	}
	fake_advance(&H, step_ms[(ctl >> 3) & 3]);
	fake_netif_clear(&H.nif);

	switch (ctl & 7) {
	case 1:
	case 3:
	case 6:
		hdr = fake_eth(frame, FAKE_OUR_MAC, FAKE_PEER_MAC, ETHTYPE_IPV4);
		break;
	case 2:
	case 4:
		hdr = fake_eth(frame, FAKE_BCAST_MAC, FAKE_PEER_MAC, ETHTYPE_ARP);
		break;
	case 5:
		hdr = fake_eth(frame, FAKE_OUR_MAC, FAKE_PEER_MAC, ETHTYPE_ARP);
		break;
	}
	if (size > sizeof(frame) - hdr)
		size = sizeof(frame) - hdr;
	memcpy(frame + hdr, data, size);
	len = hdr + size;
	switch (ctl & 7) {
	case 6:
		if (size >= 20) {
			uint32_t src = FAKE_IP(10, 0, 0, frame[hdr + 15]);

			memcpy(frame + hdr + 12, &src, 4);
			memcpy(frame + hdr + 16, &H.s.addr, 4);
		}
		/* fall through */
	case 3:
		plausible_ipv4(frame + hdr, size);
		break;
	case 4:
	case 5:
		plausible_arp(frame + hdr, size);
		break;
	case 7:
		if (len >= 6)
			memcpy(frame, FAKE_OUR_MAC, 6);
		break;
	}

	fake_rx(&H, frame, len);

	if ((ctl & 0x80) && size >= 2) {
		uint32_t dst = FAKE_IP(10, 0, 0, data[size - 1]);
		size_t dlen = (size_t)data[size - 2] * 8;

		stack_ping(&H.s, dst, 1, (uint16_t)size, data, dlen < size ? dlen : size);
	}

	if (fake_arp_invariants(&H.s) || H.nif.contract_errors)
		abort();
	check_sent();
	return 0;
}
