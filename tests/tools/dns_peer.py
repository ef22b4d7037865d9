#!/usr/bin/env python3
"""A DNS server for tests (RFC 1035 over UDP; A and AAAA, RFC 3596):
answers from the records given (an IPv4 address is an A record, an IPv6
one AAAA; a question of the other type gets NOERROR with no answer),
NXDOMAIN for other names; prints "query NAME from ADDR" for each A
question, "query6 NAME from ADDR" for each AAAA one (after "listening
PORT"). ADDR may be IPv6 (the socket is then AF_INET6).
    dns_peer.py ADDR PORT NAME=IP ... NAME=>TARGET (a CNAME)"""
import socket, struct, sys

addr, port = sys.argv[1], int(sys.argv[2])
recs = {}
for r in sys.argv[3:]:
    if "=>" in r:
        n, t = r.split("=>")
        recs[n.lower().rstrip(".")] = ("CNAME", t.lower().rstrip("."))
    else:
        n, a = r.split("=")
        recs.setdefault(n.lower().rstrip("."), ("A", []))[1].append(a)


def enc(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
print("listening", port, flush=True)
while True:
    q, src = s.recvfrom(512)
    qid, flags = struct.unpack("!HH", q[:4])
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += 1 + q[i]
    name = ".".join(labels).lower()
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    print("query6" if qtype == 28 else "query", name, "from", src[0], flush=True)
    answers, cur, known = [], name, name in recs
    for _ in range(8):
        r = recs.get(cur)
        if not r:
            break
        if r[0] == "CNAME":
            answers.append(enc(cur) + struct.pack("!HHIH", 5, 1, 60, len(enc(r[1]))) + enc(r[1]))
            cur = r[1]
            continue
        for a in r[1]:
            six = ":" in a
            if six and qtype == 28:
                answers.append(enc(cur) + struct.pack("!HHIH", 28, 1, 60, 16) +
                               socket.inet_pton(socket.AF_INET6, a))
            elif not six and qtype == 1:
                answers.append(enc(cur) + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(a))
        break
    rcode = 0 if known else 3
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
    s.sendto(hdr + question + b"".join(answers), src)
