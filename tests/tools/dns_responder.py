#!/usr/bin/env python3
"""A tiny DNS server over UDP (RFC 1035) for tests of name resolution:
    dns_responder.py ADDR PORT NAME=IPV4 [NAME=IPV4 ...]
answers an A query for a NAME it was given with its address (TTL 60), any
other type for such a NAME with no answer (NOERROR), any other name with
NXDOMAIN. Prints "listening ADDR:PORT" once bound and one line per query,
"query NAME TYPE from HOST:PORT" (names lowercase, without the final dot),
flushed, so a test sees what reached it. Runs until killed."""
import socket, struct, sys

A, IN = 1, 1


def qname(msg, off):
    """The name at off (no compression: a query has none) and the offset after it."""
    labels = []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels).lower(), off
        if n & 0xC0:
            raise ValueError("compressed name in a question")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def answer(msg, names):
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qd != 1:
        return None, None, None
    name, off = qname(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    rd = flags & 0x0100
    if name not in names:
        hdr = struct.pack("!HHHHHH", qid, 0x8080 | rd | 3, 1, 0, 0, 0)  # NXDOMAIN
        return hdr + question, name, qtype
    rrs = b""
    if qtype == A and qclass == IN:
        # The name as a pointer to the question's (offset 12).
        rrs = struct.pack("!HHHIH", 0xC00C, A, IN, 60, 4) + socket.inet_aton(names[name])
    hdr = struct.pack("!HHHHHH", qid, 0x8480 | rd, 1, 1 if rrs else 0, 0, 0)  # AA, RA
    return hdr + question + rrs, name, qtype


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    names = {}
    for arg in sys.argv[3:]:
        n, ip = arg.split("=", 1)
        names[n.lower().rstrip(".")] = ip
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print(f"listening {addr}:{port}", flush=True)
    while True:
        msg, peer = s.recvfrom(4096)
        try:
            rep, name, qtype = answer(msg, names)
        except (ValueError, IndexError, struct.error):
            continue
        if rep is None:
            continue
        print(f"query {name} {qtype} from {peer[0]}:{peer[1]}", flush=True)
        s.sendto(rep, peer)


main()
