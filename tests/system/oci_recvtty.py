#!/usr/bin/env python3
"""A --console-socket receiver for the oci tests (what conmon does for runc).

Usage: oci_recvtty.py SOCKET
Listens on SOCKET, prints "ready", accepts one connection, receives the pty
master over SCM_RIGHTS and copies what the container writes to stdout until
the pty closes. The first line it prints after "ready" is "name=<message>".
"""
import os
import socket
import sys

path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
print("ready", flush=True)
conn, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
if not fds:
    print("no fd received", flush=True)
    sys.exit(1)
master = fds[0]
out = sys.stdout.buffer
out.write(b"name=" + msg + b"\n")
out.flush()
while True:
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    out.write(data)
    out.flush()
