#!/usr/bin/env python3
"""Seed inputs for fuzz_dns (format in fuzz_dns.c: a byte, then the
answer): a NOERROR answer with two A records (the second owner
compressed), a CNAME chain, NXDOMAIN. Writes them into the corpus
directory given."""
import os, struct, sys

Q = "www.example.test"


def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"


def msg(rcode, answers, qtype=1):
    h = struct.pack("!HHHHHH", 0x4242, 0x8180 | rcode, 1, len(answers), 0, 0)
    return h + name(Q) + struct.pack("!HH", qtype, 1) + b"".join(answers)


def rr(owner, typ, rdata):
    return owner + struct.pack("!HHIH", typ, 1, 60, len(rdata)) + rdata


seeds = {
    "two_a": msg(0, [rr(name(Q), 1, bytes([10, 0, 0, 1])), rr(b"\xc0\x0c", 1, bytes([10, 0, 0, 2]))]),
    "cname": msg(0, [rr(b"\xc0\x0c", 5, name("host.test")), rr(name("host.test"), 1, bytes([10, 9, 9, 9]))]),
    "nxdomain": msg(3, []),
    "aaaa": msg(0, [rr(b"\xc0\x0c", 5, name("host.test")),
                    rr(name("host.test"), 28, bytes([0xfd] + [0] * 14 + [1]))], 28),
}
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
for k, v in seeds.items():
    with open(os.path.join(d, "seed_" + k), "wb") as f:
        f.write((b"\x87" if k == "aaaa" else b"\x07") + v)
