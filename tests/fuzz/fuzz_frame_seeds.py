#!/usr/bin/env python3
"""Seed inputs for fuzz_frame (the input format is in fuzz_frame.c): IPv4
echo requests with options, well formed and not (the cases of
test_eth_ipv4.c ipv4_options_validated), and ICMP "fragmentation needed"
messages quoting a TCP segment, all in mode 6 (from a neighbour to our
address, checksums fixed by the target). Writes them into the corpus
directory given."""
import os, struct, sys

MODE6 = 6


def ipv4(proto, payload, opts=b"", df=False):
    hl = 20 + len(opts)
    return struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(payload), 1,
                       0x4000 if df else 0, 64, proto, 0, bytes([10, 0, 0, 2]),
                       bytes([10, 0, 0, 1])) + opts + payload


def echo(opts):
    return ipv4(1, struct.pack("!BBHHH", 8, 0, 0, 7, 1) + b"0123456789", opts)


def frag_needed(mtu, quoted_seq):
    tcp = struct.pack("!HHII", 80, 40000, quoted_seq, 0)
    quote = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 1, 0x4000, 64, 6, 0,
                        bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + tcp
    return ipv4(1, struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quote)


OPTS = {
    "nops": b"\x01\x01\x01\x01",
    "len0": b"\x44\x00\x01\x01",
    "len1": b"\x44\x01\x01\x01",
    "lenpast": b"\x07\x08\x04\x00",
    "kind_at_end": b"\x01\x01\x01\x1e",
    "lsrr": b"\x83\x07\x04\x0a\x00\x00\x02\x00",
    "ssrr": b"\x89\x07\x04\x0a\x00\x00\x02\x00",
    "two_srr": b"\x83\x07\x04\x0a\x00\x00\x02\x89\x07\x04\x0a\x00\x00\x02\x01\x00",
    "rr": b"\x07\x07\x04\x00\x00\x00\x00\x00",
    "rr_twice": b"\x07\x07\x08\x00\x00\x00\x00\x07\x03\x04\x00\x00",
    "ts": b"\x44\x08\x05\x00\x00\x00\x00\x00",
    "ts_ovf15": b"\x44\x08\x09\xf0\x00\x00\x00\x00",
    "ts_addr": b"\x44\x0c\x05\x01" + b"\x00" * 8,
    "ra": b"\x94\x04\x00\x00",
    "cipso": b"\x86\x08\x00\x00\x00\x01\x00\x00",
    "max": b"\x1e\x28" + b"\x00" * 38,
}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = {f"opt-{k}": echo(v) for k, v in OPTS.items()}
seeds["frag-needed-1400"] = frag_needed(1400, 0x1000)
seeds["frag-needed-0"] = frag_needed(0, 0x1000)
seeds["frag-needed-68"] = frag_needed(68, 0)
for name, pkt in seeds.items():
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(bytes([MODE6]) + pkt)
