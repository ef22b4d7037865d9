/*
 * garbage.c - send hostile frames from a raw AF_PACKET socket, for the
 * end-to-end tests. Seeded, so a failure can be replayed.
 *
 *   garbage --netns NS --ifname IF --dst-mac MAC --count N --seed S
 *           [--mode malformed|random]
 *
 * malformed: every frame fails one of the XDP program's header checks
 *            (truncated or insane IPv4/ARP/IPv6/802.1Q/L4 headers), so the
 *            test can expect xdp.malformed to grow by exactly N.
 * random:    random lengths (14..1514) and random bytes after our MAC; no
 *            promise about how each is classified, only that nothing breaks.
 * ours:      IPv4 and ARP frames that pass the XDP checks and are addressed
 *            to --dst-ip, so they reach the engine, with everything else
 *            random (checksums, options, ARP fields, payload). IPv4 ones are
 *            ICMP and never fragments: XDP drops fragments and protocols the
 *            engine does not run before they reach it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static size_t rnd_range(size_t lo, size_t hi) /* inclusive */
{
	return lo + (size_t)(rnd() % (hi - lo + 1));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Build one frame guaranteed to be malformed for bpf/axnet_xdp.bpf.c.
 * Returns its length. */
static size_t malformed(uint8_t *f)
{
	uint8_t *l3 = f + 14;
	size_t len, i;
	int kind = (int)(rnd() % 8);

	for (i = 14; i < 1514; i++)
		f[i] = (uint8_t)rnd();
	switch (kind) {
	case 0: /* IPv4 header cut short */
		put16(f + 12, 0x0800);
		return 14 + rnd_range(0, 19);
	case 1: /* IPv4 ethertype, version not 4 */
		put16(f + 12, 0x0800);
		l3[0] = (uint8_t)((rnd_range(5, 15) << 4) | 5);
		if ((l3[0] >> 4) == 4)
			l3[0] = 0x65;
		return 14 + rnd_range(20, 200);
	case 2: /* IHL below 5 */
		put16(f + 12, 0x0800);
		l3[0] = (uint8_t)(0x40 | rnd_range(0, 4));
		return 14 + rnd_range(20, 200);
	case 3: /* total length beyond the frame */
		put16(f + 12, 0x0800);
		len = rnd_range(20, 200);
		l3[0] = 0x45;
		put16(l3 + 2, (uint16_t)(len + rnd_range(1, 1000)));
		return 14 + len;
	case 4: /* ARP cut short */
		put16(f + 12, 0x0806);
		return 14 + rnd_range(0, 27);
	case 5: /* IPv6 header cut short */
		put16(f + 12, 0x86dd);
		return 14 + rnd_range(0, 39);
	case 6: /* first fragment whose TCP header is cut short */
		put16(f + 12, 0x0800);
		len = 20 + rnd_range(0, 19);
		l3[0] = 0x45;
		put16(l3 + 2, (uint16_t)len);
		put16(l3 + 6, 0); /* no MF, offset 0 */
		l3[9] = 6;
		return 14 + len;
	default: /* 802.1Q tag cut short */
		put16(f + 12, 0x8100);
		return 14 + rnd_range(0, 3);
	}
}

/* A frame for the engine: sane enough for XDP to redirect, insane after. */
static size_t ours(uint8_t *f, uint32_t dst)
{
	uint8_t *l3 = f + 14;
	size_t len, hlen, i;

	for (i = 14; i < 1514; i++)
		f[i] = (uint8_t)rnd();
	if (rnd() % 4 == 0) {
		put16(f + 12, 0x0806);
		memcpy(l3 + 24, &dst, 4); /* tpa; the rest stays random */
		if (rnd() % 2) {          /* often a well-formed header */
			put16(l3, 1);
			put16(l3 + 2, 0x0800);
			l3[4] = 6;
			l3[5] = 4;
		}
		return 14 + rnd_range(28, 100);
	}
	put16(f + 12, 0x0800);
	hlen = rnd_range(5, 15) * 4;
	len = rnd_range(hlen + 8, 1500);
	l3[0] = (uint8_t)(0x40 | (hlen / 4));
	put16(l3 + 2, (uint16_t)len);
	l3[9] = 1;                                /* ICMP */
	put16(l3 + 6, rnd() % 2 ? 0x4000 : 0);    /* DF or not; no fragment */
	memcpy(l3 + 16, &dst, 4);
	if (rnd() % 2) { /* a right header checksum, to reach the L4 code */
		uint32_t sum = 0;

		l3[10] = l3[11] = 0;
		for (i = 0; i < hlen; i += 2)
			sum += (uint32_t)(l3[i] << 8 | l3[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(l3 + 10, (uint16_t)~sum);
	}
	return 14 + len;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "dst-ip", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *netns = NULL, *ifname = NULL, *mode = "malformed";
	unsigned int mac[6];
	uint8_t frame[1514];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned long count = 100, sent = 0, i;
	int opt, fd, have_mac = 0;
	struct in_addr dst_ip = { 0 };

	rng_state = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': netns = optarg; break;
		case 'i': ifname = optarg; break;
		case 'd':
			have_mac = sscanf(optarg, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1],
					  &mac[2], &mac[3], &mac[4], &mac[5]) == 6;
			break;
		case 'c': count = strtoul(optarg, NULL, 10); break;
		case 's': rng_state = strtoull(optarg, NULL, 0) | 1; break;
		case 'm': mode = optarg; break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &dst_ip) != 1)
				return 2;
			break;
		default: return 2;
		}
	}
	if (!ifname || !have_mac ||
	    (strcmp(mode, "malformed") && strcmp(mode, "random") && strcmp(mode, "ours")) ||
	    (!strcmp(mode, "ours") && !dst_ip.s_addr)) {
		fprintf(stderr, "usage: garbage [--netns NS] --ifname IF --dst-mac MAC "
				"--count N --seed S [--mode malformed|random|ours] "
				"[--dst-ip A.B.C.D]\n");
		return 2;
	}
	if (netns) {
		char path[256];
		int nfd;

		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		nfd = open(path, O_RDONLY);
		if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) {
			perror("garbage: netns");
			return 1;
		}
		close(nfd);
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("garbage: socket");
		return 1;
	}
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	if (!sll.sll_ifindex) {
		fprintf(stderr, "garbage: no interface %s\n", ifname);
		return 1;
	}
	for (i = 0; i < count; i++) {
		size_t len, j;

		for (j = 0; j < 6; j++)
			frame[j] = (uint8_t)mac[j];
		for (j = 6; j < 12; j++)
			frame[j] = (uint8_t)rnd();
		frame[6] &= 0xfe; /* a unicast source */
		if (strcmp(mode, "malformed") == 0) {
			len = malformed(frame);
		} else if (strcmp(mode, "ours") == 0) {
			len = ours(frame, dst_ip.s_addr);
		} else {
			len = rnd_range(14, sizeof(frame));
			for (j = 12; j < len; j++)
				frame[j] = (uint8_t)rnd();
		}
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) ==
		    (ssize_t)len)
			sent++;
		else
			fprintf(stderr, "garbage: frame %lu (%zu bytes): %s\n", i, len,
				strerror(errno));
	}
	printf("%lu\n", sent);
	return sent == count ? 0 : 1;
}
