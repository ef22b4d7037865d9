/*
 * proto.h - wire formats of the headers the engine parses and builds.
 *
 * Declared here rather than taken from <netinet/...> so that the layout is
 * the same on every libc and the fields are named once. All multi-byte
 * fields are in network byte order; structs are packed and must be read
 * through a pointer that has been bounds-checked against the frame length.
 */
#ifndef AX_PROTO_H
#define AX_PROTO_H

#include <stdint.h>

#define ETH_ALEN_AX 6
#define ETH_HLEN_AX 14
#define ETHTYPE_IPV4 0x0800
#define ETHTYPE_ARP 0x0806
#define ETHTYPE_VLAN 0x8100
#define ETHTYPE_QINQ 0x88a8
#define ETHTYPE_IPV6 0x86dd

struct eth_hdr {
	uint8_t dst[ETH_ALEN_AX];
	uint8_t src[ETH_ALEN_AX];
	uint16_t type;
} __attribute__((packed));

#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* ARP for Ethernet/IPv4 (RFC 826): 28 bytes. */
struct arp_hdr {
	uint16_t htype;
	uint16_t ptype;
	uint8_t hlen;
	uint8_t plen;
	uint16_t op;
	uint8_t sha[ETH_ALEN_AX];
	uint32_t spa;
	uint8_t tha[ETH_ALEN_AX];
	uint32_t tpa;
} __attribute__((packed));

#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IP_PROTO_UDP 17
#define IP_FLAG_DF 0x4000
#define IP_FLAG_MF 0x2000
#define IP_OFFMASK 0x1fff

struct ipv4_hdr {
	uint8_t ver_ihl; /* version 4 in the high nibble, IHL in words */
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag_off; /* flags in the top three bits */
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;
	uint32_t src;
	uint32_t dst;
} __attribute__((packed));

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4 /* code of ICMP_DEST_UNREACH (RFC 1191) */
#define ICMP_PORT_UNREACH 3 /* code of ICMP_DEST_UNREACH (RFC 792) */
#define ICMP_PROTO_UNREACH 2 /* code of ICMP_DEST_UNREACH (RFC 792) */
#define ICMP_TIME_EXCEEDED 11 /* RFC 792; code 1: reassembly time exceeded */
#define ICMP_PARAM_PROBLEM 12 /* RFC 792; code 0: the pointer says where */
#define ICMP_ECHO_REQUEST 8

/* ICMP header with the echo id/seq view of the rest-of-header word. */
struct icmp_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint16_t id;
	uint16_t seq;
} __attribute__((packed));

#endif /* AX_PROTO_H */
