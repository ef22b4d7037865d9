#!/usr/bin/env python3
"""Seed inputs for fuzz_policy (policy text): every file of the good and
bad corpora in tests/policy/, and a few single rules that reach each part
of the grammar, so the fuzzer starts from the keywords and forms it would
take long to guess. Writes them into the corpus directory given."""
import os, sys

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "..", "policy")

lines = {
    "examples": b"default deny\nallow in tcp from 10.0.0.0/24 to port 80,443\n"
                b"allow out tcp to 10.0.0.1 port 5201\nallow in tcp to port 8000-8080\n"
                b"deny in any from 10.0.0.66\nallow in icmp\n"
                b"allow out udp to fd00::/64 port 53\n",
    "defaults": b"default allow in\ndefault deny out\n",
    "lists": b"allow in tcp from 10.0.0.0/8, 192.168.1.0/24,fd00::/8 port 1024-65535 "
             b"to 10.1.2.3,::1 port 22,80-90 # comment\n",
    "from-port": b"deny out udp from port 53 to any\n",
    "any-any": b"allow any from any to any\n",
    "v6-edges": b"allow in udp from ::/0 to ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128 "
                b"port 1,65535\nallow from ::ffff:10.0.0.1 to ::ffff:10.0.0.0/120\n",
    "v4-edges": b"allow tcp from 0.0.0.0/0 to 255.255.255.255/32 port 1-65535\n",
    "crlf": b"default deny in\r\nallow in icmp\r\n",
    "owners": b"allow in tcp to port 80 program /usr/sbin/nginx user 33 group 0\n"
              b"deny out program /opt/a%20b/* user root\nallow program /*\n"
              b"allow out udp to port 53 group 65534 program /usr/bin/dig\n",
    "overlap": b"allow in tcp to port 80\ndeny in tcp from 10.0.0.0/8 to port 80\n"
               b"allow in tcp from 10.0.0.0/16 to port 70-90\ndeny in\n",
}

os.makedirs(sys.argv[1], exist_ok=True)
for name, data in lines.items():
    with open(os.path.join(sys.argv[1], "seed-" + name), "wb") as f:
        f.write(data)
for kind in ("good", "bad"):
    d = os.path.join(corpus, kind)
    for name in sorted(os.listdir(d)):
        if not name.endswith(".pol"):
            continue
        with open(os.path.join(d, name), "rb") as src:
            data = src.read()
        with open(os.path.join(sys.argv[1], "seed-%s-%s" % (kind, name[:-4])), "wb") as f:
            f.write(data)
