/*
 * fuzz_ipv6.c - libFuzzer target for the engine's IPv6 receive path: IPv6
 * input with its extension headers and options, ICMPv6, neighbor
 * discovery (NS, NA, RA with prefixes and SLAAC, redirects, DAD) and the
 * neighbour cache they feed, on a stack that lives across inputs.
 *
 * The first input byte steers, the rest is the frame:
 *
 *   bits 0-1  0: the bytes are the whole frame, sent to our MAC
 *             1: prepend an Ethernet header (to our MAC, or to
 *                33:33:00:00:00:01 when the next bit says so), type IPv6
 *             2: as 1, and make the IPv6 header plausible (version 6,
 *                payload length clamped, source a neighbour, link-local,
 *                or ::, destination one of ours or one of our groups) and,
 *                when the first next header is ICMPv6, fix its checksum
 *             3: as 2, and make it ND (hop limit 255, ICMPv6, code 0,
 *                type 133..137 from the type byte's low bits)
 *   bit 2     Ethernet destination all-nodes (modes 1-3)
 *   bits 3-4  advance the clock by 1 ms, 400 ms, 1.1 s or 20 s first
 *   bit 5     the device has no TX buffer for this input
 *   bit 6     after the frame, ping a neighbour chosen by the last byte
 *   bit 7     after the frame, add an address chosen by the last bytes
 *             (DAD starts; at most a few: the table is small)
 *
 * Beyond "no crash, no sanitizer report", after every input it checks
 * that the neighbour tables are consistent, the device contract held and
 * every ICMPv6 message the engine sent has a correct checksum.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ip6_helper.h"

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static const uint64_t step_ms[4] = { 1, 400, 1100, 20000 };

static struct fake_host H;
static int ready;
static volatile unsigned int sink;

static void on_reply(void *arg, const struct icmp_echo_reply *r)
{
	unsigned int sum = 0;
	size_t i;

	(void)arg;
	for (i = 0; i < r->data_len; i++)
		sum += r->data[i];
	sink += sum;
}

static void setup(void)
{
	if (ip6_host_init(&H))
		abort();
	H.s.echo_reply_cb = on_reply;
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	ready = 1;
}

static struct ip_addr neighbour(uint8_t b)
{
	struct ip_addr a = ip6_peer_g;

	switch (b & 3) {
	case 0:
		a.b[15] = b;
		break;
	case 1:
		a = ip6_ll(FAKE_PEER_MAC);
		a.b[15] ^= (uint8_t)(b >> 2);
		break;
	case 2:
		a = ip_addr_any6;
		break;
	default:
		break;
	}
	return a;
}

static void plausible(uint8_t *ip, size_t len, int nd)
{
	struct ip_addr src, dst;
	size_t plen;

	if (len < 40)
		return;
	ip[0] = (uint8_t)(0x60 | (ip[0] & 0x0f));
	plen = fake_get16(ip + 4);
	if (plen > len - 40 || plen == 0) {
		plen = len - 40;
		fake_put16(ip + 4, (uint16_t)plen);
	}
	src = neighbour(ip[23]);
	switch (ip[39] & 3) {
	case 0:
		dst = ip6_our_g;
		break;
	case 1:
		dst = ip6_ll(FAKE_OUR_MAC);
		break;
	case 2:
		dst = ip6_all_nodes;
		break;
	default:
		dst = ip6_sn(&ip6_our_g);
		break;
	}
	memcpy(ip + 8, src.b, 16);
	memcpy(ip + 24, dst.b, 16);
	if (nd) {
		ip[6] = IP6_NH_ICMPV6;
		ip[7] = 255;
		if (plen >= 4) {
			ip[40] = (uint8_t)(133 + ip[40] % 5);
			ip[41] = 0;
		}
	}
	if (ip[6] == IP6_NH_ICMPV6 && plen >= 4)
		ip6_icmp_fix(ip + 40, plen, &src, &dst);
}

static void check_sent(void)
{
	unsigned int i;

	for (i = 0; i < H.nif.n && i < FAKE_MAX_FRAMES; i++) {
		const struct fake_frame *fr = &H.nif.frames[i];
		struct ip6_view v;

		if (fr->len < ETH_HLEN_AX || fake_get16(fr->data + 12) != ETHTYPE_IPV6)
			continue;
		if (ip6_parse(fr, &v) || (v.nh == IP6_NH_ICMPV6 && !v.csum_ok)) {
			fprintf(stderr, "fuzz_ipv6: frame %u sent: bad IPv6 or ICMPv6 checksum\n", i);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[8192];
	static unsigned int added;
	static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t ctl, last;
	size_t hdr = 0, len;
	const char *why;

	if (!ready)
		setup();
	if (size == 0)
		return 0;
	ctl = data[0];
	data++;
	size--;
	last = size ? data[size - 1] : 0;
	H.nif.no_buffers = (ctl >> 5) & 1;
	H.nif.cap = AX_FRAME_MAX;
	fake_advance(&H, step_ms[(ctl >> 3) & 3]);
	fake_netif_clear(&H.nif);
	if (ctl & 3)
		hdr = fake_eth(frame, (ctl & 4) ? all_mac : FAKE_OUR_MAC, FAKE_PEER_MAC, ETHTYPE_IPV6);
	if (size > sizeof(frame) - hdr)
		size = sizeof(frame) - hdr;
	memcpy(frame + hdr, data, size);
	len = hdr + size;
	if ((ctl & 3) == 0 && len >= 6)
		memcpy(frame, FAKE_OUR_MAC, 6);
	if ((ctl & 3) >= 2)
		plausible(frame + hdr, size, (ctl & 3) == 3);
	fake_rx(&H, frame, len);
	if (ctl & 0x40) {
		struct ip_addr n = neighbour(last);

		if (!ip_addr_is_any(&n))
			icmp6_send_echo(&H.s, &n, 1, last, data, size < 64 ? size : 64);
	}
	if ((ctl & 0x80) && added < 4) {
		struct ip_addr a = ip6_our_g;

		a.b[14] = last;
		a.b[15] = (uint8_t)(size + 7);
		if (stack_addr_add(&H.s, &a, 64, STACK_ADDR_F_STATIC) == 0)
			added++;
	}
	why = fake_arp_invariants(&H.s);
	if (why || H.nif.contract_errors) {
		fprintf(stderr, "fuzz_ipv6: %s, %u contract errors\n", why ? why : "tables fine",
			H.nif.contract_errors);
		abort();
	}
	check_sent();
	return 0;
}
