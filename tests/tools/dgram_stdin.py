#!/usr/bin/env python3
"""Run a program whose every read of stdin returns one datagram's worth:
    dgram_stdin.py SIZE GAP FILE... -- CMD [ARGS...]
CMD's stdin is a SOCK_SEQPACKET socket; each FILE in turn (opened after CMD
starts and after the one before, so FIFOs can hold the data back and the
end of file) is written into it in SIZE-byte messages, each of which one
read(2) returns whole, then the socket is shut down (end of file). GAP seconds pass between messages: `nc -u` sends what it has read
when the socket is writable, several messages at once if they came
together. For `nc -u`, which sends each read of stdin as one UDP datagram: a
pipe would give it reads of any size, and datagrams larger than the path's
MTU (axnet does not fragment). Exits with CMD's status."""
import socket, subprocess, sys, time

dash = sys.argv.index("--")
size, gap, paths = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:dash]
cmd = sys.argv[dash + 1:]
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
child = subprocess.Popen(cmd, stdin=theirs)
theirs.close()
try:
    for path in paths:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(size)
                if not chunk:
                    break
                ours.sendall(chunk)
                time.sleep(gap)
    ours.shutdown(socket.SHUT_WR)
except BrokenPipeError:
    pass
sys.exit(child.wait())
