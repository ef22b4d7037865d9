#!/usr/bin/env python3
"""Seed inputs for fuzz_fleet: the values `axnet policy push --fleet` and
the instances write (F/policy, F/instances/NAME), and near misses.
Writes them into the corpus directory given."""
import os, sys

h = b"0123456789abcdef" * 4
seeds = {
    "policy": b"version=3 sha256=" + h + b" source=root@host:p.pol\ndefault deny\nallow in icmp\n",
    "policy-bare": b"version=1 sha256=" + h,
    "policy-noversion": b"sha256=" + h + b"\n",
    "applied": b"version=7 seq=1234 sha256=" + h + b" state=applied ts=1700000000123456789",
    "error": b"version=8 seq=1234 sha256=" + h + b" state=error ts=1 reason=axnet/fleet/policy "
             b"version=8:3:22: expected a port (1-65535), got '70000' (version 7 stays in force)",
    "zero": b"version=0 seq=2 sha256=- state=applied ts=0",
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], "seed-" + name), "wb") as f:
        f.write(data)
