/*
 * ifinfo.c - see ifinfo.h.
 */
#include "ifinfo.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int ifreq_ioctl(int fd, const char *ifname, unsigned long req,
		       struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
	return ioctl(fd, req, ifr) < 0 ? -errno : 0;
}

int ifinfo_get(const char *ifname, struct ifinfo *out)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr;
	int fd, err;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	memset(out, 0, sizeof(*out));
	out->ifindex = (int)if_nametoindex(ifname);
	if (!out->ifindex)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = ifreq_ioctl(fd, ifname, SIOCGIFHWADDR, &ifr);
	if (err)
		goto out;
	memcpy(out->mac, ifr.ifr_hwaddr.sa_data, 6);
	err = ifreq_ioctl(fd, ifname, SIOCGIFMTU, &ifr);
	if (err)
		goto out;
	out->mtu = (uint16_t)ifr.ifr_mtu;
	out->rx_queues = 1;
	/* Channels: a device without ethtool support has one queue. */
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0) {
		uint32_t n = ch.rx_count > ch.combined_count ? ch.rx_count
							     : ch.combined_count;
		if (n > 0)
			out->rx_queues = n;
		n = ch.max_rx > ch.max_combined ? ch.max_rx : ch.max_combined;
		out->max_queues = n;
	}
	if (out->max_queues < out->rx_queues)
		out->max_queues = out->rx_queues;
out:
	close(fd);
	return err;
}

int ifinfo_set_up(const char *ifname)
{
	struct ifreq ifr;
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = ifreq_ioctl(fd, ifname, SIOCGIFFLAGS, &ifr);
	if (!err && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
	}
	close(fd);
	return err;
}
