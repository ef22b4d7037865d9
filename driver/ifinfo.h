/*
 * ifinfo.h - facts about a network interface in the current network
 * namespace, read with ioctls (not /sys, which may belong to another
 * namespace after setns()).
 */
#ifndef AX_IFINFO_H
#define AX_IFINFO_H

#include <stdint.h>

struct ifinfo {
	int ifindex;
	uint8_t mac[6];
	uint16_t mtu;
	uint32_t rx_queues; /* RX (or combined) channels; 1 if unknown */
	uint32_t max_queues; /* the most the device could have; >= rx_queues */
};

/* 0 or -errno (-ENODEV when there is no such interface). */
int ifinfo_get(const char *ifname, struct ifinfo *out);

/* Bring the interface up. 0 or -errno. */
int ifinfo_set_up(const char *ifname);

#endif /* AX_IFINFO_H */
