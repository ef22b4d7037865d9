/*
 * udp_helper.h - UDP datagrams from the fake peer (fake_netif.h), for the
 * tests of every layer that receives them (engine, socket layer, socket
 * server, authorizer).
 */
#ifndef AX_TEST_UDP_HELPER_H
#define AX_TEST_UDP_HELPER_H

#include <stdint.h>
#include <string.h>

#include "fake_netif.h"

/* Into f: a datagram from src:sport to our dport carrying plen bytes of
 * payload, checksum 0 (none, legal over IPv4, RFC 768); the frame's
 * length. The UDP header is the frame's last 8 + plen bytes. */
static inline size_t udp_helper_frame_from(uint8_t *f, uint32_t src, uint16_t sport,
					   uint16_t dport, const void *payload, size_t plen)
{
	size_t off = fake_eth(f, FAKE_OUR_MAC, FAKE_PEER_MAC, 0x0800);
	uint8_t *u;

	off += fake_ipv4(f + off, src, FAKE_OUR_IP, 17, 0, 8 + plen);
	u = f + off;
	fake_put16(u, sport);
	fake_put16(u + 2, dport);
	fake_put16(u + 4, (uint16_t)(8 + plen));
	fake_put16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	return off + 8 + plen;
}

/* The same from the peer (FAKE_PEER_IP). */
static inline size_t udp_helper_frame(uint8_t *f, uint16_t sport, uint16_t dport,
				      const void *payload, size_t plen)
{
	return udp_helper_frame_from(f, FAKE_PEER_IP, sport, dport, payload, plen);
}

#endif /* AX_TEST_UDP_HELPER_H */
