#!/usr/bin/env python3
"""Seed inputs for fuzz_frag (the record format is in fuzz_frag.c): whole
datagrams in order and reversed, both families, an overlap, an exact
duplicate, a tiny first fragment, a fragment past 65535, and a one-source
flood of first fragments. Writes them into the corpus directory given."""
import os, struct, sys


def rec(v6=0, more=0, src=0, step=0, refuse=0, tcp=0, ident=0, off8=0, length=0):
    b0 = v6 | more << 1 | src << 2 | step << 4 | refuse << 6 | tcp << 7
    return struct.pack("!BBHH", b0, ident, off8, length)


def whole(v6, ident, order=1):
    frs = [rec(v6, 1, 0, 0, 0, 0, ident, 0, 1480), rec(v6, 1, 0, 0, 0, 0, ident, 185, 1480),
           rec(v6, 0, 0, 0, 0, 0, ident, 370, 1048)]
    return b"".join(frs[::order])


seeds = {
    "v4-in-order": whole(0, 1),
    "v6-reversed": whole(1, 2, -1),
    "overlap": rec(0, 1, 1, 0, 0, 0, 3, 0, 1000) + rec(0, 0, 1, 0, 0, 0, 3, 124, 1008),
    "duplicate": rec(1, 1, 2, 0, 0, 0, 4, 0, 1480) * 2 + rec(1, 0, 2, 0, 0, 0, 4, 185, 8),
    "tiny-tcp": rec(0, 1, 3, 0, 0, 1, 5, 0, 16) + rec(0, 0, 3, 0, 0, 1, 5, 2, 24),
    "oversize": rec(0, 0, 0, 0, 0, 0, 6, 8191, 16),
    "timeout": rec(1, 1, 0, 0, 0, 0, 7, 0, 8) + rec(1, 0, 0, 3, 0, 0, 7, 1, 8),
    "flood": b"".join(rec(0, 1, 1, 0, 0, 0, i & 7, i, 8) for i in range(40)),
    "refused": rec(0, 1, 0, 0, 1, 0, 1, 0, 8) + rec(0, 0, 0, 0, 1, 0, 1, 1, 8),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(data)
