#!/usr/bin/env python3
"""Seed inputs for fuzz_ipv6 (the input format is in fuzz_ipv6.c): IPv6
packets in mode 2 (plausible header, ICMPv6 checksum fixed by the target)
with extension header chains, and ND messages in mode 3 (NS, NA, RA with
SLLAO, MTU and prefix options, a redirect). Writes them into the corpus
directory given."""
import os, struct, sys

ZERO16 = bytes(16)


def ipv6(nh, payload, hops=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hops) + ZERO16 + ZERO16 + payload


def echo():
    return struct.pack("!BBHHH", 128, 0, 0, 7, 1) + b"0123456789"


def opt(t, body):
    return bytes([t, (2 + len(body)) // 8]) + body


seeds = {
    "echo": bytes([2]) + ipv6(58, echo()),
    "hbh-dst-rt": bytes([2]) + ipv6(0, bytes([60, 0, 5, 2, 0, 0, 1, 0]) +
                                    bytes([43, 0, 0x1e, 4, 0, 0, 0, 0]) +
                                    bytes([58, 0, 4, 0, 0, 0, 0, 0]) + echo()),
    "unknown-nh": bytes([2]) + ipv6(253, bytes(16)),
    "frag": bytes([2]) + ipv6(44, bytes([58, 0, 0, 1, 0, 0, 0, 1]) + echo()),
    "opt-discard": bytes([2]) + ipv6(60, bytes([58, 0, 0xc5, 4, 0, 0, 0, 0]) + echo()),
    "ns": bytes([3]) + ipv6(58, bytes([0, 0, 0, 0, 0, 0, 0, 0]) + ZERO16 +
                            opt(1, bytes([2, 0, 0, 0, 0, 2])), 255),
    "na": bytes([3 | 4]) + ipv6(58, bytes([1, 0, 0, 0, 0x60, 0, 0, 0]) + ZERO16 +
                                opt(2, bytes([2, 0, 0, 0, 0, 2])), 255),
    "ra": bytes([3 | 4]) + ipv6(58, bytes([1, 0, 0, 0, 64, 0, 7, 8]) + bytes(8) +
                                opt(1, bytes([2, 0, 0, 0, 0, 0xfe])) +
                                opt(5, bytes(2) + struct.pack("!I", 1400)) +
                                bytes([3, 4, 64, 0xc0]) + struct.pack("!III", 3600, 1800, 0) +
                                bytes([0x20, 1, 0xd, 0xb8, 0, 1]) + bytes(10), 255),
    "redirect": bytes([3]) + ipv6(58, bytes([4, 0, 0, 0, 0, 0, 0, 0]) + ZERO16 + ZERO16, 255),
}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(data)
