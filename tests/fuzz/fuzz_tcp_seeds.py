#!/usr/bin/env python3
"""Seed inputs for fuzz_tcp (the record format is in fuzz_tcp.c): a few
conversations that reach deep states in a handful of records, for the
fuzzer to start from. Writes them into the corpus directory given."""
import os, struct, sys

ACK, PSH, FIN, SYN = 0x10, 0x08, 0x01, 0x02
REL, PAD, T300, T70S = 0x04, 0x80, 0x20, 0x30  # control byte bits
WRITE_MAX, SHUTDOWN, CONNECT = 1 | 31 << 3, 2, 6  # action bytes
MSS = 1448  # ours, with timestamps


def rec(ctl, act, flags, seqd=0, ackd=0, win=1024, data=b"", opts=b"", ports=(0, 0)):
    """One record; with REL, seqd and ackd are offsets from RCV.NXT and
    SND.UNA. The window (1024 << 7) is the one the handshake gave. The
    ports count with port mode 3; with mode 1 the source port's low byte
    picks the new connection's port."""
    hdr = struct.pack("!HHIIBBHHH", *ports, seqd & 0xffff, ackd & 0xffff,
                      (20 + len(opts)) // 4 << 4, flags, win, 0, 0)
    seg = hdr + opts + data
    return bytes([ctl, act, len(seg)]) + seg


seeds = {
    # data in order, echoed back
    "echo": rec(REL, 0, ACK | PSH, data=b"hello, axnet"),
    # full segments until the quick-acks have run out and the echo has
    # filled the congestion window, then the delayed ACK
    "fill": rec(REL | PAD, 0, ACK) * 21 + rec(REL | T300, 0, ACK),
    # 15 KiB out, three duplicate ACKs (fast retransmit), then all acked
    "dupacks": rec(REL, WRITE_MAX, ACK) + rec(REL, 0, ACK) * 3 +
               rec(REL, 0, ACK, ackd=31 * 512 + 1),
    # 15 KiB out, 1.2 s of window updates (not duplicate ACKs): a
    # retransmission timeout; then one segment acked at a time, slow start
    # up to ssthresh, then congestion avoidance
    "rto": rec(REL, WRITE_MAX, ACK) +
           b"".join(rec(REL | T300, 0, ACK, win=1000 + i) for i in range(4)) +
           rec(REL, 0, ACK, ackd=MSS) * 10,
    # our FIN, the peer's ACK and FIN: TIME_WAIT, and 70 s later gone
    "close": rec(REL, SHUTDOWN, ACK) + rec(REL, 0, ACK | FIN, ackd=1) +
             rec(REL | T70S, 0, ACK),
    # the peer's FIN first: we close second (LAST_ACK), then its ACK (to
    # that connection by its ports: the next record makes a new one)
    "passive": rec(REL, 0, ACK | FIN) + rec(3 | REL, 0, ACK, ackd=1, ports=(40000, 80)),
    # our own connection: SYN out, the SYN-ACK, data on it
    "active": rec(0, CONNECT, ACK) + rec(2 | REL, 0, SYN | ACK, ackd=1) +
              rec(2 | REL, 0, ACK | PSH, data=b"hi"),
    # a new connection through the listener: SYN, then the ACK
    "listen": rec(1, 0, SYN) + rec(1 | REL, 0, ACK, ackd=1),
    # seventeen SYNs to a listener with a backlog of 16: the sixteenth
    # half-open one makes the seventeenth a SYN cookie
    "synflood": b"".join(rec(1, 0, SYN, ports=(i, 0)) for i in range(17)),
    # the same, then the cookie's ACK with data (a connection, made at the
    # ACK), and data again
    "cookie": b"".join(rec(1, 0, SYN, ports=(i, 0)) for i in range(17)) +
              rec(1 | REL, 0, ACK | PSH, data=b"cookie", ports=(16, 0)) +
              rec(1 | REL, 0, ACK | PSH, data=b"again", ports=(16, 0)),
    # an old timestamp (RFC 7323 5: PAWS)
    "paws": rec(REL, 0, ACK | PSH, opts=bytes.fromhex("0101080a0000000100000000"), data=b"old"),
    # the options parser: a Linux SYN's options, and SACK blocks
    "opts-syn": b"\xff" + bytes([0x80 | 20]) + bytes(20) +
                bytes.fromhex("020405b4 0402 080a0000000100000000 01 030307".replace(" ", "")),
    "opts-sack": b"\xff" + bytes([32]) + bytes(20) +
                 bytes.fromhex("0101 051a" + "00000001" * 6 + "0000"),
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], "seed-" + name), "wb") as f:
        f.write(data)
