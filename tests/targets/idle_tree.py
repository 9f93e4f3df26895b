#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""idle_tree.py N: N idle OpenSSL processes, a parent and N-1 children.

Each process holds one SSL object (over memory BIOs) and waits. Prints
"ready PID" (the parent) once every child holds its object; SIGTERM ends
the tree.
"""
import os
import signal
import ssl
import sys


def main():
    n = int(sys.argv[1])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    kids = []
    r, w = os.pipe()
    for _ in range(n - 1):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            obj = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
            os.write(w, b".")
            signal.pause()
            os._exit(0 if obj else 1)
        kids.append(pid)
    os.close(w)
    got = 0
    while got < n - 1:
        b = os.read(r, 64)
        if not b:
            break
        got += len(b)

    def stop(*_):
        for k in kids:
            os.kill(k, signal.SIGKILL)
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    obj = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    print("ready", os.getpid(), flush=True)
    while obj:
        signal.pause()


if __name__ == "__main__":
    main()
