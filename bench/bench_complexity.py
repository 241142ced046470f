#!/usr/bin/env python
"""Benchmark: ``jiqun.observatory.complexity`` against the Growth Lab's ``ecomplexity`` 0.5.x.

A synthetic long panel (time, loc, prod, val) of ``--locs`` × ``--prods`` × ``--years``, a share
``--fill`` of the cells non-zero with log-normal values, is computed by both implementations,
each run in a fresh child process (the panel is generated there, then timed; peak RSS is the
child's high-water mark, reported with the level before the computation). Ours runs with
``self_proximity=True`` so that both do the same work and every column can be compared; the
parent reports max |Δ| of ECI, PCI, density, COI and COG over the joined outputs.

    .venv/bin/python bench/bench_complexity.py                          # 300 × 1,200 × 10
    .venv/bin/python bench/bench_complexity.py --big                    # + 1,000 × 2,400 × 10, ours
    .venv/bin/python bench/bench_complexity.py --locs 50 --prods 200 --years 2 --repeat 1

Outputs of each run go to ``--out`` (``bench/out/complexity_*.parquet``) for the comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240601
KEYS = ["time", "loc", "prod"]
COMPARED = ("eci", "pci", "density", "coi", "cog")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def panel(locs: int, prods: int, years: int, fill: float, seed: int):  # -> pl.DataFrame
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    t, c, p = np.meshgrid(np.arange(years), np.arange(locs), np.arange(prods), indexing="ij")
    value = rng.lognormal(0.0, 2.0, t.size) * (rng.random(t.size) < fill)
    loc_names = np.array([f"L{i:05d}" for i in range(locs)])
    prod_names = np.array([f"P{i:05d}" for i in range(prods)])
    frame = pl.DataFrame(
        {
            "time": t.ravel() + 2015,
            "loc": loc_names[c.ravel()],
            "prod": prod_names[p.ravel()],
            "val": value,
        }
    )
    return frame.filter(pl.col("val") > 0)


def child(args: argparse.Namespace) -> None:
    """Generate the panel, then time one implementation on it; print one JSON line."""
    import polars as pl

    data = panel(args.locs, args.prods, args.years, args.fill, args.seed)
    rows = data.height
    if args.impl == "ecomplexity":
        from ecomplexity import ecomplexity

        frame = data.to_pandas()
        del data
        before = rss_mb()
        start = time.perf_counter()
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            out = ecomplexity(
                frame,
                {"time": "time", "loc": "loc", "prod": "prod", "val": "val"},
                check_logsupermodularity=False,
                verbose=False,
            )
        seconds = time.perf_counter() - start
        peak = rss_mb()
        result = pl.from_pandas(out[[*KEYS, *COMPARED]])
    else:
        from jiqun.observatory.complexity import complexity

        before = rss_mb()
        start = time.perf_counter()
        result = complexity(data, self_proximity=True)
        seconds = time.perf_counter() - start
        peak = rss_mb()
    if args.save:
        result.select(*KEYS, *COMPARED).write_parquet(args.save)
    line = {
        "impl": args.impl,
        "rows_in": rows,
        "rows_out": result.height,
        "seconds": round(seconds, 3),
        "rss_before_mb": round(before),
        "rss_peak_mb": round(peak),
    }
    print(json.dumps(line))


def run(args: argparse.Namespace, impl: str, locs: int, prods: int, save: Path | None) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        impl,
        "--locs",
        str(locs),
        "--prods",
        str(prods),
        "--years",
        str(args.years),
        "--fill",
        str(args.fill),
        "--seed",
        str(args.seed),
    ]
    if save is not None:
        command += ["--save", str(save)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{impl} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def max_deltas(ours: Path, theirs: Path) -> dict[str, float]:
    import polars as pl

    both = pl.read_parquet(ours).join(pl.read_parquet(theirs), on=KEYS, suffix="_ec")
    return {
        c: float(both.select((pl.col(c) - pl.col(f"{c}_ec")).abs().max()).item()) for c in COMPARED
    } | {"rows_joined": both.height}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locs", type=int, default=300)
    parser.add_argument("--prods", type=int, default=1200)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--fill", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (best is kept)")
    parser.add_argument("--big", action="store_true", help="also 1,000 × 2,400 (ours only)")
    parser.add_argument("--skip-ecomplexity", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--child", choices=["ours", "ecomplexity"], dest="impl")
    parser.add_argument("--save", type=Path)
    args = parser.parse_args()
    if args.impl:
        child(args)
        return

    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"# {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"panel {args.locs} × {args.prods} × {args.years}, fill {args.fill}, seed {args.seed}"
    )
    ours_file = args.out / "complexity_ours.parquet"
    ours = [run(args, "ours", args.locs, args.prods, ours_file) for _ in range(args.repeat)]
    best = min(ours, key=lambda r: r["seconds"])
    print(json.dumps(best | {"runs": [r["seconds"] for r in ours]}))
    if not args.skip_ecomplexity:
        theirs_file = args.out / "complexity_ecomplexity.parquet"
        theirs = run(args, "ecomplexity", args.locs, args.prods, theirs_file)
        print(json.dumps(theirs))
        deltas = max_deltas(ours_file, theirs_file)
        print(json.dumps({"max_abs_delta": deltas}))
        print(f"speed-up: {theirs['seconds'] / best['seconds']:.1f}×")
    if args.big:
        big = [run(args, "ours", 1000, 2400, None) for _ in range(args.repeat)]
        best_big = min(big, key=lambda r: r["seconds"])
        print(json.dumps(best_big | {"runs": [r["seconds"] for r in big], "size": "1000x2400"}))


if __name__ == "__main__":
    main()
