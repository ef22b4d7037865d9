#!/usr/bin/env python3
"""Checks one `iperf3 -c ... -J` run (tests/e2e/test-exec-iperf3.sh).

    iperf3_check.py JSON tcp|udp [--log AXNET_LOG --side server|client
                                  --reverse]

From the JSON: no error; TCP, every stream moved bytes and its receiver
counted no more than its sender sent, and at most SLACK less (iperf3 3.12
stops counting at TEST_END: what is still in the receiver's socket then is
not counted, on the kernel too: up to 8.1 MiB measured with -P 4 on veth); UDP,
datagrams received > 0 and the loss reported.

With --log (the output of `axnet log`), a second count: each data
stream's connection-close entry on axnet's side (the program under axnet
is the iperf3 server or the client) carries the bytes its TCP took in and
sent, which must lie between what iperf3's receiver counted and what its
sender wrote, plus the 37-byte cookie the client sends first on every
stream (iperf3's COOKIE_SIZE). Not equal to the sender's: the receiver
stops reading at TEST_END and closes with data unread, so what was still
on the way is reset, on the kernel too.

Prints one line per stream; exits 1 with the reason on a failure."""
import json, re, sys

COOKIE = 37
SLACK = 32 << 20

args = sys.argv[1:]
path, proto = args[0], args[1]
opt = {}
i = 2
while i < len(args):
    if args[i] == "--reverse":
        opt["reverse"] = True
        i += 1
    else:
        opt[args[i].lstrip("-")] = args[i + 1]
        i += 2


def die(msg):
    print("iperf3_check: " + msg, file=sys.stderr)
    sys.exit(1)


d = json.load(open(path))
if "error" in d:
    die("iperf3 reports: " + d["error"])
end = d.get("end") or die("no 'end' in the JSON")

if proto == "udp":
    s = end.get("sum_received") or end.get("sum") or die("no UDP sum")
    got = s["packets"] - s["lost_packets"]
    if "lost_percent" not in s:
        die("no loss reported")
    if got <= 0:
        die("no datagram received: %r" % s)
    print("udp datagrams=%d received=%d lost=%d lost_percent=%.2f received_gbps=%.2f" %
          (s["packets"], got, s["lost_packets"], s["lost_percent"],
           s.get("bits_per_second", 0) / 1e9))
    sys.exit(0)

streams = end["streams"]
if not streams:
    die("no stream")
conn = {c["socket"]: c for c in d["start"]["connected"]}
entries = {}
if "log" in opt:
    auth = {}
    close = {}
    for line in open(opt["log"]):
        f = line.split()
        if len(f) < 3:
            continue
        kv = dict(x.split("=", 1) for x in f[3:] if "=" in x)
        if f[2] == "connection-authorize" and kv.get("proto") == "tcp":
            auth[(kv["dir"], kv["local"], kv["remote"])] = f[0]
        elif f[2] == "connection-close":
            close[kv["auth"]] = kv
    entries = (auth, close)

for st in streams:
    snd, rcv = st["sender"], st["receiver"]
    sent, got = snd["bytes"], rcv["bytes"]
    if sent <= 0 or got <= 0:
        die("stream %d moved nothing: sent %d, received %d" % (snd["socket"], sent, got))
    if got > sent:
        die("stream %d: received %d > sent %d" % (snd["socket"], got, sent))
    if sent - got > SLACK:
        die("stream %d: received %d, sent %d: %d short" % (snd["socket"], got, sent, sent - got))
    line = "tcp stream sent=%d received=%d received_gbps=%.2f" % (
        sent, got, rcv.get("bits_per_second", 0) / 1e9)
    if entries:
        auth, close = entries
        c = conn.get(snd["socket"]) or die("stream %d not in start.connected" % snd["socket"])
        client = "%s:%d" % (c["local_host"], c["local_port"])
        server = "%s:%d" % (c["remote_host"], c["remote_port"])
        if opt["side"] == "server":
            key = ("in", server, client)
        else:
            key = ("out", client, server)
        seq = auth.get(key) or die("no connection-authorize dir=%s local=%s remote=%s" % key)
        kv = close.get(seq) or die("no connection-close auth=%s (%s)" % (seq, key))
        b_in, b_out = int(kv["bytes_in"]), int(kv["bytes_out"])
        # [low, high] of what axnet's side took in and sent on this stream.
        if opt["side"] == "server" and "reverse" in opt:
            want = ((COOKIE, COOKIE), (got, sent))
        elif opt["side"] == "server":
            want = ((got + COOKIE, sent + COOKIE), (0, 0))
        else:
            want = ((0, 0), (got + COOKIE, sent + COOKIE))
        for what, v, (lo, hi) in (("bytes_in", b_in, want[0]), ("bytes_out", b_out, want[1])):
            if not lo <= v <= hi:
                die("stream %s: axnet's connection-close auth=%s has %s=%d, not in [%d, %d] "
                    "(iperf3: sent %d, received %d)" % (client, seq, what, v, lo, hi, sent, got))
        line += " axnet(auth=%s bytes_in=%d bytes_out=%d)" % (seq, b_in, b_out)
    print(line)
