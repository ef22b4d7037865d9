#!/usr/bin/env python3
"""Seed inputs for fuzz_dns (preload/dns.c's answer reader): answers of the
forms a server sends, so the fuzzer starts from a matching id and question:
A records, a CNAME chain with compression, NXDOMAIN, a truncated answer.
Each input: the query's id (2 bytes), the name's index in fuzz_dns.c's list
(1 byte), the answer. Writes them into the corpus directory given."""
import os, struct, sys

NAMES = ["a.test", "www.example.test", "x", "web.example.test"]


def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"


def answer(qid, flags, qname, rrs):
    return (struct.pack("!HHHHHH", qid, flags, 1, len(rrs), 0, 0) + name(qname) +
            struct.pack("!HH", 1, 1) + b"".join(rrs))


def rr(owner_ptr, rtype, rdata):
    return struct.pack("!HHHIH", 0xC000 | owner_ptr, rtype, 1, 60, len(rdata)) + rdata


seeds = {
    "a": (0x1234, 0, answer(0x1234, 0x8180, "a.test",
                            [rr(12, 1, bytes([192, 0, 2, 1])), rr(12, 1, bytes([192, 0, 2, 2]))])),
    "cname": (7, 1, answer(7, 0x8180, "www.example.test",
                           [rr(12, 5, b"\x03web\xc0\x10"), rr(46, 1, bytes([192, 0, 2, 3]))])),
    "nxdomain": (9, 2, answer(9, 0x8183, "x", [])),
    "truncated": (10, 0, answer(10, 0x8380, "a.test", [])),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for k, (qid, idx, msg) in seeds.items():
    with open(os.path.join(out, "seed-" + k), "wb") as f:
        f.write(struct.pack("!HB", qid, idx) + msg)
