#!/usr/bin/env python
"""Profile the live server's event loop under a load test (pyinstrument, a sampling profiler).

Starts a demo server (no simulated buyers of its own) in this process with pyinstrument
sampling its main thread (the event loop), prints ``ready URL``, and after ``--seconds`` writes
the profile as text and exits. Run the load test against it from another shell::

    .venv/bin/python bench/profile_server.py --after 1000 --seconds 15 &
    .venv/bin/jiqun market loadtest --url http://127.0.0.1:8765 --buyers 1000 --duration 20

pyinstrument (PyPI) is a development tool, not a dependency of jiqun.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from pyinstrument import Profiler

from jiqun.market.service import demo


async def serve(folder: Path, port: int, after: float, seconds: float, out: Path) -> None:
    demo.light_passwords()
    server = await demo.start(folder, port, bot_count=0)
    print(f"ready {server.url}", flush=True)
    subscribers = server.service.runner.subscribers
    deadline = asyncio.get_running_loop().time() + 600
    while subscribers(demo.LOAD_HALL) < after and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)  # the load test's set-up (log-ins, deposits) is not profiled
    await asyncio.sleep(1.0)
    profiler = Profiler(interval=0.002, async_mode="disabled")
    profiler.start()
    await asyncio.sleep(seconds)
    profiler.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
    print(f"profile written to {out}", flush=True)
    os._exit(0)  # the profile is what this run is for: no orderly shutdown needed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--after", type=int, default=1, help="start once this many sockets are connected"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="how long to profile")
    parser.add_argument("--out", type=Path, default=Path("bench/out/server.prof.txt"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jiqun-profile-") as folder:
        asyncio.run(serve(Path(folder), args.port, args.after, args.seconds, args.out))


if __name__ == "__main__":
    main()
