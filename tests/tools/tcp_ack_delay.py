#!/usr/bin/env python3
"""How long the peer takes to ACK a lone segment: connect to HOST:PORT (a
discard service), send --warmup segments (past the peer's quick-ACK start),
then --count lone 1-byte segments --gap ms apart, and for each time from
the send until TCP_INFO says nothing is unacknowledged (polled every
0.2 ms). A peer that delays ACKs (RFC 1122 4.2.3.2) answers such a
segment only from its delayed-ACK timer, so this measures that timer as
the peer really runs it. Prints "ack_delay_ms min X avg Y max Z"."""
import argparse, socket, struct, sys, time

p = argparse.ArgumentParser()
p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--warmup", type=int, default=24)
p.add_argument("--count", type=int, default=20)
p.add_argument("--gap", type=float, default=150)
a = p.parse_args()

s = socket.create_connection((a.host, a.port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def unacked():
    # struct tcp_info: 8 one-byte fields, then u32 rto, ato, snd_mss,
    # rcv_mss, unacked (offset 24).
    return struct.unpack_from("I", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 24)[0]


def send_and_time():
    t0 = time.monotonic()
    s.send(b"x")
    while unacked():
        if time.monotonic() - t0 > 2:
            print("no ACK within 2 s", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.0002)
    return (time.monotonic() - t0) * 1000


for _ in range(a.warmup):
    send_and_time()
d = []
for _ in range(a.count):
    time.sleep(a.gap / 1000)
    d.append(send_and_time())
s.close()
print(f"ack_delay_ms min {min(d):.2f} avg {sum(d) / len(d):.2f} max {max(d):.2f}")
