#!/usr/bin/env python3
"""Seed inputs for fuzz_authz_recover (see the top of fuzz_authz_recover.c
for how the bytes steer): a push of a 3-rule policy, the same policy split
into policy-text parts, authorizations left open and closed, a legacy push
with and without its file, a damaged push of each kind, and raw entries.
Writes them into the corpus directory given."""
import os, sys

POLICY = (b"default deny in\nallow in tcp to port 80\n"
          b"allow in tcp from 10.0.0.0/24 to port 22\nallow in icmp\n")


def text(t):
    return bytes([len(t)]) + t


def push(t=POLICY, chunk=0):
    return bytes([4]) + text(t) + bytes([chunk])


def bad(mode, arg, t=POLICY, chunk=0):
    return bytes([5]) + text(t) + bytes([chunk, mode, arg])


def raw(typ, payload):
    return bytes([0, typ - 1]) + text(payload)


AUTH, CLOSE, REVOKE = bytes([1]), bytes([2]), bytes([3])

seeds = {
    "push": bytes([1]) + push(),
    "push-split": bytes([1]) + push(chunk=5),
    "push-split-reopen": bytes([3]) + push(chunk=2),
    "open-auths": bytes([1]) + push() + AUTH * 3 + CLOSE + b"\x01" + AUTH + REVOKE + b"\x00",
    "open-auths-no-push": bytes([0]) + AUTH * 4 + CLOSE + b"\x02",
    "two-pushes": bytes([1]) + push() + AUTH + push(b"allow in udp to port 53\n", 3) + AUTH,
    "legacy-file": bytes([1, 6 | 8]) + text(POLICY) + AUTH,
    "legacy-no-file": bytes([1, 6]) + text(POLICY),
    "bad-sha": bytes([1]) + bad(0, 9),
    "bad-text": bytes([1]) + bad(1 + 4 * 7, 0),
    "bad-drop": bytes([1]) + bad(2, 1, chunk=4),
    "bad-swap": bytes([1]) + bad(3, 0, chunk=4),
    "stray-part": bytes([1]) + push(chunk=6) + bytes([7, 0x12]) + text(b"allow%0a"),
    "raw": bytes([5]) + raw(2, b"sha256=" + b"0" * 64 + b" rules=1 source=x text=allow%0a")
           + raw(3, b"dir=in") + raw(5, b"auth=1 reason=x") + raw(7, b"part=1/2"),
    "sha256-outside-policies": bytes([1, 6 | 8]) + text(POLICY)
           + raw(2, b"sha256=../" + b"./" * 28 + b"/evil rules=1 source=x"),
    "raw-parts-no-text": bytes([1]) + AUTH + raw(2, b"sha256=" + b"a" * 64 + b" rules=1 parts=2"),
}

os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], "seed-" + name), "wb") as f:
        f.write(data)
