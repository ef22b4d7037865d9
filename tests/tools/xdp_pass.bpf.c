// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Someone else's XDP program, for the test that axnet will not replace it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int other_xdp(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
