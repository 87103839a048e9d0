#!/usr/bin/python3
"""ExaBGP API helper process (run by ExaBGP, stdlib only).

    exabgp_api.py EVENTS_FILE COMMAND_FIFO

Appends every JSON message ExaBGP writes to our stdin (updates, state
changes) as one line to EVENTS_FILE, and forwards each line written into
COMMAND_FIFO (e.g. "announce route 203.0.113.0/24 next-hop self") to ExaBGP
on stdout. Exits when ExaBGP closes our stdin.
"""
import os
import sys
import threading


def forward_commands(fifo):
    while True:
        with open(fifo) as f:           # blocks until a writer opens it
            for line in f:
                sys.stdout.write(line if line.endswith("\n") else line + "\n")
                sys.stdout.flush()


def main():
    events, fifo = sys.argv[1], sys.argv[2]
    threading.Thread(target=forward_commands, args=(fifo,), daemon=True).start()
    with open(events, "a", buffering=1) as out:
        for line in sys.stdin:
            out.write(line if line.endswith("\n") else line + "\n")
    os._exit(0)


if __name__ == "__main__":
    main()
