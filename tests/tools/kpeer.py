#!/usr/bin/env python3
"""The kernel's side of a libaxnet transfer test: TCP or UDP, listening or
connecting, sending N random bytes and/or receiving, printing what moved
in ax_xfer's format so a test compares the two:
    listening PORT | bound PORT       (ready for the peer)
    sent bytes=N dgrams=N sha256=HEX secs=S
    received bytes=N dgrams=N sha256=HEX secs=S
    error NAME                        (e.g. ConnectionResetError), exit 1
TCP receives until end of stream; UDP until --expect bytes or --idle
seconds of silence. Sending and receiving run at the same time.
UDP datagrams check themselves as ax_xfer's do (its udp_make): datagram i
carries i (8 bytes, little-endian) and a fixed pattern from an offset i
gives; the receiver adds "intact=N bad=N dup=N reordered=N"."""
import argparse, hashlib, os, socket, sys, threading, time

p = argparse.ArgumentParser()
p.add_argument("proto", choices=["tcp", "udp"])
p.add_argument("mode", choices=["listen", "connect"])
p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--send", type=int, default=0)
p.add_argument("--recv", action="store_true")
p.add_argument("--expect", type=int, default=0)
p.add_argument("--idle", type=float, default=3.0)
p.add_argument("--dgram", type=int, default=1400)
p.add_argument("--rate", type=float, default=0, help="bytes/s, sending")
p.add_argument("--timeout", type=float, default=120)
p.add_argument("--to", help="UDP listen: send to this HOST:PORT")
a = p.parse_args()
udp = a.proto == "udp"
PAT = bytes(((j * 167 + 13) & 0xff) for j in range(65536 + 256))


def udp_make(seq, n):
    o = (seq * 61) % 251
    return (seq.to_bytes(8, "little") + PAT[o:o + max(0, n - 8)])[:n]
out_lock = threading.Lock()
failed = []


def say(line):
    with out_lock:
        print(line, flush=True)


def send_all(s, dest):
    h, done, n, t0 = hashlib.sha256(), 0, 0, time.monotonic()
    block = b""
    try:
        while done < a.send:
            if udp:
                block = udp_make(n, min(a.dgram, a.send - done))
            elif not block:
                block = os.urandom(min(1 << 20, a.send - done))
            piece = block
            if udp:
                s.sendto(piece, dest)
                k = len(piece)
            else:
                k = s.send(piece)
            h.update(piece[:k])
            block = block[k:]
            done += k
            n += 1
            if a.rate:
                ahead = done / a.rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
        if not udp:
            s.shutdown(socket.SHUT_WR)
    except OSError as e:
        failed.append(type(e).__name__)
        say(f"error {type(e).__name__} after sending {done}")
        return
    say(f"sent bytes={done} dgrams={n if udp else 0} sha256={h.hexdigest()} "
        f"secs={time.monotonic() - t0:.3f}")


def recv_all(s):
    h, done, n, t0 = hashlib.sha256(), 0, 0, time.monotonic()
    last = t0
    intact = bad = dup = reordered = 0
    seen, maxseq = set(), -1
    if udp:
        s.settimeout(0.2)
    try:
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                if time.monotonic() - last >= a.idle:
                    break
                continue
            if not b and not udp:
                break
            h.update(b)
            done += len(b)
            n += 1
            last = time.monotonic()
            if udp:
                seq = int.from_bytes(b[:8], "little") if len(b) >= 8 else -1
                if seq < 0 or b != udp_make(seq, len(b)):
                    bad += 1
                elif seq in seen:
                    dup += 1
                else:
                    seen.add(seq)
                    intact += 1
                    reordered += seq < maxseq
                    maxseq = max(maxseq, seq)
            if udp and a.expect and done >= a.expect:
                break
    except OSError as e:
        failed.append(type(e).__name__)
        say(f"error {type(e).__name__} after receiving {done}")
        return
    say(f"received bytes={done} dgrams={n if udp else 0} sha256={h.hexdigest()} "
        f"secs={last - t0:.3f}" +
        (f" intact={intact} bad={bad} dup={dup} reordered={reordered}" if udp else ""))


if udp:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    if a.mode == "listen":
        s.bind((a.host, a.port))
        say(f"bound {a.port}")
        dest = None
        if a.to:
            h, pt = a.to.rsplit(":", 1)
            dest = (h, int(pt))
    else:
        s.connect((a.host, a.port))
        dest = (a.host, a.port)
else:
    if a.mode == "listen":
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.host, a.port))
        ls.listen(4)
        ls.settimeout(a.timeout)
        say(f"listening {a.port}")
        s, _ = ls.accept()
        ls.close()
    else:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s.settimeout(a.timeout)
    dest = None
    say("connected")

threads = []
if a.send:
    threads.append(threading.Thread(target=send_all, args=(s, dest)))
if a.recv:
    threads.append(threading.Thread(target=recv_all, args=(s,)))
for t in threads:
    t.start()
for t in threads:
    t.join()
s.close()
sys.exit(1 if failed else 0)
