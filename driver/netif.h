/*
 * netif.h - what the engine needs from a network device, and nothing more.
 *
 * The engine never knows whether frames travel through AF_XDP or a TAP
 * device: a backend in driver/ fills this struct. Transmission is in two
 * steps so that the engine writes a frame directly into the device's own
 * buffer (a UMEM frame for AF_XDP) without a copy:
 *
 *   buf = netif->tx_begin(netif->ctx, &cap);   // NULL: no buffer free now
 *   ... write up to cap bytes at buf ...
 *   netif->tx_commit(netif->ctx, len);          // queue it; 0 or -errno
 *
 * At most one frame is between begin and commit at a time. The backend
 * batches and kicks the device on its own (driver/netdev.h: flush).
 */
#ifndef AX_NETIF_H
#define AX_NETIF_H

#include <stddef.h>
#include <stdint.h>

/* Largest frame the engine builds or queues (Ethernet header + 1500 MTU
 * + two VLAN tags, rounded). */
#ifndef AX_FRAME_MAX
#define AX_FRAME_MAX 1536
#endif

struct ax_netif {
	uint8_t mac[6];
	uint16_t mtu; /* IP MTU, e.g. 1500 */
	void *ctx;
	uint8_t *(*tx_begin)(void *ctx, size_t *cap);
	int (*tx_commit)(void *ctx, size_t len);
};

#endif /* AX_NETIF_H */
