#!/usr/bin/env python3
"""The kernel peer of tests/tools/ax_errno on ADDR: TCP 5101 sends "hello"
on accept, then echoes until EOF and closes; TCP 5102 accepts and closes
at once; UDP 5103 echoes each datagram; TCP 5104 accepts and holds the
connection, never reading (a sender's buffers fill). Prints "ready", runs until
--timeout seconds have passed (bounded)."""
import argparse, socket, threading, time

p = argparse.ArgumentParser()
p.add_argument("addr")
p.add_argument("--timeout", type=float, default=120)
a = p.parse_args()


def listener(port, handle):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, port))
    ls.listen(16)

    def loop():
        while True:
            c, _ = ls.accept()
            threading.Thread(target=handle, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def hello_echo(c):
    try:
        c.sendall(b"hello")
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
    except OSError:
        pass
    c.close()


def close_now(c):
    c.close()


def hold(c):
    held.append(c)


held = []


def udp_echo():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, 5103))
    while True:
        d, src = s.recvfrom(65536)
        s.sendto(d, src)


listener(5101, hello_echo)
listener(5102, close_now)
listener(5104, hold)
threading.Thread(target=udp_echo, daemon=True).start()
print("ready", flush=True)
time.sleep(a.timeout)
