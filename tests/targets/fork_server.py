#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""TLS server that forks one child per connection, the child doing the TLS.

Usage: fork_server.py CERT KEY
Prints "listening PORT pid PID" once it listens on 127.0.0.1. Each child
wraps its connection (SSL_new in the child), echoes what it reads until
the client closes, and exits; the parent reaps it and prints "served N"
(N counts the children that exited 0).
"""
import os
import signal
import socket
import ssl
import sys


def main():
    cert, key = sys.argv[1], sys.argv[2]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(128)
    served = 0
    print("listening %d pid %d" % (ls.getsockname()[1], os.getpid()), flush=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    while True:
        conn, _ = ls.accept()
        pid = os.fork()
        if pid == 0:
            ls.close()
            try:
                s = ctx.wrap_socket(conn, server_side=True)
                while True:
                    data = s.recv(16384)
                    if not data:
                        break
                    s.sendall(data)
                s.close()
            except (OSError, ssl.SSLError):
                os._exit(1)
            os._exit(0)
        conn.close()
        _, status = os.waitpid(pid, 0)
        if status == 0:
            served += 1
        print("served %d" % served, flush=True)


if __name__ == "__main__":
    main()
