#!/usr/bin/env python3
"""Seed inputs for fuzz_axiom_record (the input format is in
fuzz_axiom_record.c): valid logs of one and several segments written the
way axiom/format.h says, and the damage recovery must tell apart - a torn
tail, a zero-filled tail, a flipped byte in the middle, a chain break - so
the fuzzer starts past the CRCs. Writes them into the corpus directory
given."""
import hashlib, os, struct, sys

SEG_HDR, REC_HDR, REC_MAGIC = 64, 64, 0x43525841


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def seg_hdr(first, prev):
    h = struct.pack("<8sIIQ32sII", b"AXIOMSEG", 1, SEG_HDR, first, prev, 0, 0)
    return h[:56] + struct.pack("<I", crc32c(h)) + h[60:]


def record(seq, prev, payload, typ=3, ts=1_700_000_000_000_000_000):
    """The record's bytes and its hash."""
    h = struct.pack("<IIQQHHI32s", REC_MAGIC, 0, seq, ts, typ, 0, len(payload), prev)
    pad = b"\0" * (-len(payload) % 8)
    digest = hashlib.sha256(h + payload).digest()
    crc = crc32c(h + payload + pad)
    return h[:4] + struct.pack("<I", crc) + h[8:] + payload + pad, digest


def log(payloads, per_segment):
    """Segments (bytes each) holding the payloads, per_segment records each."""
    segs, prev, seq = [], bytes(32), 1
    for i in range(0, len(payloads), per_segment):
        seg = seg_hdr(seq, prev)
        for p in payloads[i:i + per_segment]:
            rec, prev = record(seq, prev, p)
            seg += rec
            seq += 1
        segs.append(seg)
    return segs


def pack(segs, steer=0, limit=0):
    assert 1 <= len(segs) <= 4
    out = bytes([steer | (len(segs) - 1), limit])
    for s in segs[:-1]:
        out += struct.pack("<H", len(s))
    return out + b"".join(segs)


texts = [b"start axnet 0.1", b"10.0.0.1:40000 -> 10.0.0.2:80 allow",
         b"", b"policy v2 \x00\x01\x02", b"close 10.0.0.1:40000"]
one = log(texts, 8)[0]
seeds = {
    "one-segment": pack([one]),
    "three-segments": pack(log(texts, 2)),
    "torn-tail": pack([one[:-13]]),
    "zero-tail": pack([one + bytes(40)]),
    "flipped-middle": pack([one[:150] + bytes([one[150] ^ 1]) + one[151:]]),
    "empty-segment": pack([seg_hdr(1, bytes(32))]),
    # a valid log the harness rebuilds from any bytes (fix-up with chain)
    "fixup-chain": pack([bytes(SEG_HDR) + b"\x01" * 300], steer=4 | 8, limit=3),
    "shared-reader": pack(log(texts, 3), steer=16),
    "checkpoint-line": b"seq=5 head=" + b"ab" * 32 + b" ts=1700000000000000000 sig=" + b"cd" * 64,
}
# a chain break: record 2 re-made with a good CRC and a wrong prev hash
segs = log(texts[:1], 8)
rec2, _ = record(2, b"\x55" * 32, b"not chained")
seeds["chain-break"] = pack([segs[0] + rec2])

os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], "seed-" + name), "wb") as f:
        f.write(data)
