#!/usr/bin/env python3
"""Seed inputs for fuzz_ipc (the input format is in fuzz_ipc.c): one valid
request of every type as include/axnet/ipc.h lays them out, and tx rings of
UDP records (one, several, a pad at the end, an implicit skip), so the
fuzzer starts from the accepted shapes. Writes them into the corpus
directory given."""
import os, struct, sys

BODIES = {
    1: struct.pack("<II", 1, 0),                       # HELLO
    2: struct.pack("<II16s", 1, 0, b"\x11" * 16),      # ATTACH
    3: struct.pack("<iiiI", 2, 1, 0, 0),               # SOCKET
    4: struct.pack("<I28s", 16, struct.pack("<HH4s", 2, 0x5000, bytes([10, 0, 0, 1])) + b"\0" * 20),  # BIND
    5: struct.pack("<iI", 128, 0),                     # LISTEN
    6: struct.pack("<I28s", 16, struct.pack("<HH4s", 2, 0x5000, bytes([10, 0, 0, 2])) + b"\0" * 20),  # CONNECT
    7: struct.pack("<iI", 0, 0),                       # ACCEPT
    8: struct.pack("<iI", 1, 0),                       # SHUTDOWN
    9: b"",                                            # CLOSE
    10: struct.pack("<iiII", 1, 2, 4, 0) + struct.pack("<i", 1) + b"\0" * 252,  # SETSOCKOPT
    11: struct.pack("<iiII", 1, 4, 4, 0),              # GETSOCKOPT
    12: struct.pack("<iI", 1, 0),                      # GETNAME
}


def rec(family, port, addr, payload):
    r = struct.pack("<IHH16s", len(payload), port, family, addr) + payload
    return r + b"\0" * (-len(r) % 8)


def main(out):
    os.makedirs(out, exist_ok=True)
    for t, body in BODIES.items():
        msg = struct.pack("<HHII", t, 0, 16 + len(body), 1, ) + struct.pack("<I", 3) + body
        with open(os.path.join(out, "seed-req-%d" % t), "wb") as f:
            f.write(b"\x00" + msg)
        with open(os.path.join(out, "seed-fix-%d" % t), "wb") as f:
            f.write(b"\x02" + bytes([t]) + body)
    a = bytes([10, 0, 0, 2]) + b"\0" * 12
    one = rec(2, 0x3500, a, b"hello")
    several = one + rec(0, 0, b"\0" * 16, b"x" * 100) + rec(2, 7, a, b"")
    # 64-byte ring (shift 0): a record, then a pad to the end.
    padded = rec(2, 9, a, b"abcdefgh") + struct.pack("<IHH16s", 64 - 32 - 24, 0, 0xFFFF, b"\0" * 16)
    cases = {
        "one": (0, 0, len(one), one),
        "several": (3, 0, len(several), several),
        "pad": (0, 0, 64, padded + b"\0" * (64 - len(padded))),
        "skip": (0, 48, 64 + 32, rec(2, 1, a, b"12345678") + b"\0" * 16 + rec(2, 1, a, b"")[:0]),
    }
    for name, (shift, cons, prod, ring) in cases.items():
        with open(os.path.join(out, "seed-ring-" + name), "wb") as f:
            f.write(bytes([1 | (shift << 1)]) + struct.pack("<II", cons, prod) + ring)


if __name__ == "__main__":
    main(sys.argv[1])
