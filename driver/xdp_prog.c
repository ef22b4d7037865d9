/*
 * xdp_prog.c - see xdp_prog.h.
 */
#include "xdp_prog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "axnet_xdp.skel.h"
#include "util/log.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* Link-layer groups joined for the IPv6 groups in `addrs`: 16 addresses'
 * solicited-node groups at most (AX_ADDRS_MAX) and all-nodes. */
#define XDP_MC_MAX 32

struct xdp_prog {
	struct axnet_xdp *skel;
	int ifindex;
	__u32 attach_flags;
	int dir_fd; /* the flock()ed pin directory */
	char pin_dir[PATH_MAX];
	__u8 mc[XDP_MC_MAX][4]; /* the last 32 bits of each joined group */
	unsigned int n_mc;
};

/*
 * An IPv6 group in `addrs` (a solicited-node group, all-nodes) reaches XDP
 * only if the NIC's receive filter lets its link-layer address in (RFC
 * 2464 7: 33:33 and the group's last 32 bits). virtio_net and hardware
 * NICs filter multicast to the groups the kernel joined, and the kernel
 * joins none for addresses it does not own: without this, neighbor
 * solicitations for axnet's addresses and DAD probes never arrive (veth,
 * which does not filter, hides it). So the group is joined on the
 * interface (SIOCADDMULTI, counted per join by the kernel) while it is in
 * the map, and left when it goes or the program detaches.
 */
static int mc_join(struct xdp_prog *p, const __u8 low[4], int join)
{
	struct ifreq ifr;
	int fd, err = 0;

	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname((unsigned int)p->ifindex, ifr.ifr_name))
		return -errno;
	ifr.ifr_hwaddr.sa_family = AF_UNSPEC;
	ifr.ifr_hwaddr.sa_data[0] = 0x33;
	ifr.ifr_hwaddr.sa_data[1] = 0x33;
	memcpy(ifr.ifr_hwaddr.sa_data + 2, low, 4);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, join ? SIOCADDMULTI : SIOCDELMULTI, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int is_v6_group(const struct ax_addr_key *key)
{
	return key->family == AX_AF_INET6 && key->addr[0] == 0xff;
}

static int ensure_bpffs(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
		return log_err(-errno, "xdp: cannot mount bpffs on /sys/fs/bpf: %s",
			       strerror(errno));
	log_info("xdp: mounted bpffs on /sys/fs/bpf");
	return 0;
}

static void unpin_all(const char *dir)
{
	static const char *const maps[] = { "stats", "addrs", "xsks", "flows", "syn_rate",
					     "config" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, maps[i]);
		unlink(path);
	}
}

/* Is another program attached? A stale axnet one may be replaced. */
static int check_attached(int ifindex, const char *ifname)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	__u32 id = 0;
	int fd, err;

	err = bpf_xdp_query_id(ifindex, 0, &id);
	if (err || !id)
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return 0;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err == 0 && strcmp(info.name, "axnet_xdp") == 0) {
		log_warn("xdp: replacing a stale axnet program (id %u) on %s",
			 id, ifname);
		return 0;
	}
	return log_err(-EBUSY, "xdp: %s already carries XDP program id %u (%s); detach it first",
		       ifname, id, err ? "?" : info.name);
}

struct xdp_prog *xdp_prog_attach(const char *ifname, int ifindex, int skb_mode)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct xdp_prog *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->dir_fd = -1;
	p->ifindex = ifindex;
	err = ensure_bpffs();
	if (err)
		goto fail;
	snprintf(p->pin_dir, sizeof(p->pin_dir), "%s/%s", AX_PIN_ROOT, ifname);
	if ((mkdir(AX_PIN_ROOT, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(p->pin_dir, 0700) < 0 && errno != EEXIST)) {
		err = log_err(-errno, "xdp: cannot create %s: %s", p->pin_dir,
			      strerror(errno));
		goto fail;
	}
	p->dir_fd = open(p->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dir_fd < 0 || flock(p->dir_fd, LOCK_EX | LOCK_NB) < 0) {
		err = log_err(-EBUSY, "xdp: %s is in use by another axnet instance",
			      p->pin_dir);
		goto fail_nodir;
	}
	/* We hold the lock: anything pinned here was left by a dead
	 * instance and must not be reused (it may hold old addresses). */
	unpin_all(p->pin_dir);
	err = check_attached(ifindex, ifname);
	if (err)
		goto fail_nodir;

	oo.pin_root_path = p->pin_dir;
	p->skel = axnet_xdp__open_opts(&oo);
	if (!p->skel) {
		err = log_err(-errno, "xdp: cannot open the BPF object: %s",
			      strerror(errno));
		goto fail_nodir;
	}
	err = axnet_xdp__load(p->skel);
	if (err) {
		log_err(err, "xdp: cannot load the XDP program: %s",
			strerror(-err));
		goto fail_nodir;
	}
	p->attach_flags = skb_mode ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	err = bpf_xdp_attach(ifindex, bpf_program__fd(p->skel->progs.axnet_xdp),
			     p->attach_flags, NULL);
	if (err && !skb_mode && (err == -EOPNOTSUPP || err == -EINVAL)) {
		log_warn("xdp: native mode refused on %s (%s); using generic mode",
			 ifname, strerror(-err));
		p->attach_flags = XDP_FLAGS_SKB_MODE;
		err = bpf_xdp_attach(ifindex,
				     bpf_program__fd(p->skel->progs.axnet_xdp),
				     p->attach_flags, NULL);
	}
	if (err) {
		log_err(err, "xdp: cannot attach to %s: %s", ifname,
			strerror(-err));
		goto fail_nodir;
	}
	log_info("xdp: program attached to %s (ifindex %d, %s mode), maps pinned in %s",
		 ifname, ifindex, xdp_prog_mode(p), p->pin_dir);
	return p;

fail_nodir:
	if (p->skel) {
		axnet_xdp__destroy(p->skel);
		p->skel = NULL;
	}
	if (p->dir_fd >= 0) {
		unpin_all(p->pin_dir);
		rmdir(p->pin_dir);
		close(p->dir_fd);
	}
fail:
	free(p);
	errno = -err;
	return NULL;
}

void xdp_prog_detach(struct xdp_prog *p)
{
	if (!p)
		return;
	bpf_xdp_detach(p->ifindex, p->attach_flags, NULL);
	while (p->n_mc)
		mc_join(p, p->mc[--p->n_mc], 0);
	unpin_all(p->pin_dir);
	axnet_xdp__destroy(p->skel);
	rmdir(p->pin_dir);
	rmdir(AX_PIN_ROOT); /* fails, harmlessly, while others are pinned */
	close(p->dir_fd);
	log_info("xdp: program detached, maps unpinned");
	free(p);
}

int xdp_prog_xsks_fd(const struct xdp_prog *p)
{
	return bpf_map__fd(p->skel->maps.xsks);
}

int xdp_prog_garps_fd(const struct xdp_prog *p)
{
	return bpf_map__fd(p->skel->maps.garps);
}

int xdp_prog_add_addr(struct xdp_prog *p, const struct ax_addr_key *key)
{
	struct ax_addr_val val = { 0 };

	int err;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.addrs), key, &val,
				BPF_ANY) < 0)
		return -errno;
	if (!is_v6_group(key))
		return 0;
	if (p->n_mc == XDP_MC_MAX)
		return -ENOSPC;
	err = mc_join(p, key->addr + 12, 1);
	if (err)
		return log_err(err, "xdp: cannot join the link-layer group of an IPv6 group: %s",
			       strerror(-err));
	memcpy(p->mc[p->n_mc++], key->addr + 12, 4);
	return 0;
}

int xdp_prog_del_addr(struct xdp_prog *p, const struct ax_addr_key *key)
{
	unsigned int i;

	if (bpf_map_delete_elem(bpf_map__fd(p->skel->maps.addrs), key) < 0)
		return -errno;
	if (!is_v6_group(key))
		return 0;
	for (i = 0; i < p->n_mc; i++) {
		if (memcmp(p->mc[i], key->addr + 12, 4) == 0) {
			mc_join(p, p->mc[i], 0);
			memcpy(p->mc[i], p->mc[--p->n_mc], 4);
			break;
		}
	}
	return 0;
}

int xdp_prog_read_stats(const struct xdp_prog *p, struct ax_xdp_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ax_xdp_stats *v;
	__u32 key = 0;
	int i;

	if (ncpu <= 0)
		return -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.stats), &key, v) < 0) {
		free(v);
		return -errno;
	}
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < ncpu; i++) {
		sum->rx_packets += v[i].rx_packets;
		sum->rx_bytes += v[i].rx_bytes;
		sum->redirected += v[i].redirected;
		sum->passed += v[i].passed;
		sum->dropped += v[i].dropped;
		sum->malformed += v[i].malformed;
		sum->no_xsk += v[i].no_xsk;
		sum->flow_allowed += v[i].flow_allowed;
		sum->flow_denied += v[i].flow_denied;
		sum->flow_unknown += v[i].flow_unknown;
		sum->slow_path += v[i].slow_path;
		sum->slow_path_limited += v[i].slow_path_limited;
		sum->frag_dropped += v[i].frag_dropped;
		sum->proto_dropped += v[i].proto_dropped;
		sum->icmp += v[i].icmp;
		sum->garp_copied += v[i].garp_copied;
		sum->garp_lost += v[i].garp_lost;
		sum->frag += v[i].frag;
	}
	free(v);
	return 0;
}

const char *xdp_prog_mode(const struct xdp_prog *p)
{
	return p->attach_flags == XDP_FLAGS_SKB_MODE ? "generic" : "native";
}

int xdp_prog_set_config(struct xdp_prog *p, const struct ax_xdp_config *cfg)
{
	__u32 key = 0;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.config), &key, cfg, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int xdp_prog_flow_set(struct xdp_prog *p, const struct ax_flow_key *k,
		      const struct ax_flow_val *v)
{
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.flows), k, v, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int xdp_prog_flow_del(struct xdp_prog *p, const struct ax_flow_key *k)
{
	if (bpf_map_delete_elem(bpf_map__fd(p->skel->maps.flows), k) < 0)
		return -errno;
	return 0;
}

int xdp_prog_flow_get(const struct xdp_prog *p, const struct ax_flow_key *k,
		      struct ax_flow_val *v)
{
	if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.flows), k, v) < 0)
		return -errno;
	return 0;
}

int xdp_prog_flow_flush(struct xdp_prog *p, __u32 verdict)
{
	int fd = bpf_map__fd(p->skel->maps.flows);
	struct ax_flow_key key, next;
	struct ax_flow_val val;
	int n = 0, first = 1;

	/* Deleting the current key restarts nothing: get_next_key of a
	 * deleted key returns the map's first key, so walk from a key that
	 * stays. */
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = 0;
		if (bpf_map_lookup_elem(fd, &next, &val) == 0 && val.verdict == verdict &&
		    bpf_map_delete_elem(fd, &next) == 0) {
			n++;
			first = 1; /* start over: the walk position is gone */
			continue;
		}
		key = next;
	}
	return n;
}
