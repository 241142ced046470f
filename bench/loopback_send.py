#!/usr/bin/env python
"""What one write to each of 5,000 loopback TCP sockets costs on this machine (the floor of
the live market's fan-out: bench/RESULTS.md, "Live market").

A uvloop server accepts N connections from a reader process (pinned to the other core with
``taskset`` when there is one) that reads everything; then the server writes one 204-byte
WebSocket frame to each socket, through uvloop's transports (as the live server does) and
through plain ``socket.send`` on duplicated descriptors (the system call alone), a few times.

    .venv/bin/python bench/loopback_send.py --sockets 5000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable

import uvloop

FRAME = b"\x81\x7e\x00\xc8" + b"x" * 200  # a 200-byte text frame, as the server sends them

READER = """
import asyncio, sys, uvloop
async def main():
    class Reader(asyncio.Protocol):
        def data_received(self, data): pass
    loop = asyncio.get_running_loop()
    for _ in range({n}):
        await loop.create_connection(Reader, "127.0.0.1", {port})
    await asyncio.sleep(3600)
uvloop.run(main())
"""


async def measure(n: int, repeat: int) -> None:
    loop = asyncio.get_running_loop()
    transports: list[asyncio.Transport] = []

    class Accepted(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            transports.append(transport)  # type: ignore[arg-type]

    server = await loop.create_server(Accepted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pin = ["taskset", "-c", "1"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    code = READER.format(n=n, port=port)
    reader = await asyncio.create_subprocess_exec(*pin, sys.executable, "-c", code)
    try:
        while len(transports) < n:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        await broadcasts("uvloop transport.write", [t.write for t in transports], repeat)
        raw = [
            socket.socket(fileno=os.dup(t.get_extra_info("socket").fileno())) for t in transports
        ]
        await broadcasts("socket.send", [s.send for s in raw], repeat)
        for s in raw:
            s.close()
    finally:
        reader.kill()
        await reader.wait()
        server.close()


async def broadcasts(what: str, writes: list[Callable[[bytes], object]], repeat: int) -> None:
    """``FRAME`` through each of ``writes``, ``repeat`` times, each time reported."""
    n = len(writes)
    for _ in range(repeat):
        started = time.perf_counter()
        for write in writes:
            write(FRAME)
        seconds = time.perf_counter() - started
        print(
            f"{what} × {n}: {seconds * 1000:.1f} ms ({seconds / n * 1e6:.1f} µs each)", flush=True
        )
        await asyncio.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    uvloop.run(measure(args.sockets, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
