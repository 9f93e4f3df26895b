#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""stall_pipe.py OUT GO -- CMD [ARG...]

Runs CMD with its stdout on a one-page pipe that nobody reads until the file
GO exists: CMD blocks in its first write that does not fit, as behind a
stopped `| less` or a stalled ssh session. Then the pipe is copied to OUT
until EOF. Prints "pid N" (CMD's pid) first; exits with CMD's status.
"""
import fcntl
import os
import subprocess
import sys
import time

F_SETPIPE_SZ = 1031


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit("usage: stall_pipe.py OUT GO -- CMD [ARG...]")
    out, go, cmd = sys.argv[1], sys.argv[2], sys.argv[4:]
    r, w = os.pipe()
    fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=w)
    os.close(w)
    print("pid", p.pid, flush=True)
    while not os.path.exists(go) and p.poll() is None:
        time.sleep(0.05)
    with open(out, "wb") as f:
        while True:
            b = os.read(r, 65536)
            if not b:
                break
            f.write(b)
    sys.exit(p.wait())


if __name__ == "__main__":
    main()
