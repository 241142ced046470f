#!/usr/bin/env python
"""Benchmark (PRODUCT.md O9): a 20,000,000-row register, embedded engine against plain pandas.

A synthetic register — ``--rows`` firms of one year in ``--towns`` towns and ``--industries``
GB/T 4754 4-digit classes, revenue, profit and employees — is written once as typed Parquet
(Chinese headers as a user's file has them; towns and codes dictionary-encoded) and cached
under ``--cache`` with its parameters in the file name. Each implementation then runs in a
fresh child process, timed step by step, with its peak RSS:

* **embedded**: ``load_register`` (every check of O1), ``stats.compute`` (O3),
  ``towns.diagnose`` at the class level on revenue (O5: LQ, leading industries, effective
  number, HHI, locational Gini, EG, MS, relatedness density) and the O4 indicators Krugman,
  Hoover, Theil and CR3 over the town × class table;
* **pandas**: ``pandas.read_parquet`` and the same figures written the plain pandas way
  (groupby, merge, transform), without the register's validation.

The parent checks that both give the same figures (counts equal, sums and indices within a
relative 1e-9) and prints times, ratios and peak RSS.

    .venv/bin/python bench/bench_scale.py                         # 20 M rows, both
    .venv/bin/python bench/bench_scale.py --rows 1000000 5000000 20000000 --impl embedded
    .venv/bin/python bench/bench_scale.py --rows 100000 --towns 300 --industries 100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20241231
YEAR = 2024
CACHE = Path(tempfile.gettempdir()) / "jiqun-bench-scale"
TOLERANCE = 1e-9

# The file's headers, as a statistics bureau's export names them (PRODUCT.md O1 aliases).
HEADERS = {
    "year": "年度",
    "name": "企业名称",
    "town": "乡镇（街道）",
    "industry_code": "行业代码",
    "revenue": "主营业务收入（万元）",
    "profit": "利润（万元）",
    "employees": "从业人员（人）",
}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ------------------------------------------------------------------ the synthetic register


def industry_codes(n: int) -> list[str]:
    """``n`` distinct 4-digit codes shaped like GB/T 4754 classes: a real division (13–43,
    manufacturing, then the others), a group digit and a class digit (1–9 each)."""
    divisions = [f"{d:02d}" for d in [*range(13, 44), *range(1, 13), *range(44, 98)]]
    codes = [f"{d}{g}{c}" for d in divisions for g in range(1, 10) for c in range(1, 10)]
    step = max(1, len(codes) // n)
    chosen = codes[::step][:n]
    if len(chosen) < n:
        raise ValueError(f"at most {len(codes)} industries")
    return chosen


def generate(rows: int, towns: int, industries: int, seed: int = SEED) -> Any:  # pa.Table
    """The register as an Arrow table with typed columns. Towns have sizes ∝ 1/(t + 10);
    40 % of a town's firms are in one of its five specialities, the rest follow the national
    mix ∝ 1/(i + 5): towns have leading industries, industries have real spreads."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    pt = 1.0 / (np.arange(towns) + 10.0)
    town = rng.choice(towns, rows, p=pt / pt.sum()).astype(np.int32)
    pi = 1.0 / (np.arange(industries) + 5.0)
    national = rng.choice(industries, rows, p=pi / pi.sum()).astype(np.int32)
    speciality = ((town.astype(np.int64) * 7 + rng.integers(0, 5, rows) * 131) % industries).astype(
        np.int32
    )
    industry = np.where(rng.random(rows) < 0.4, speciality, national).astype(np.int32)
    del speciality, national
    revenue = np.round(rng.lognormal(5.0, 1.5, rows), 4)
    profit = np.round(revenue * rng.normal(0.06, 0.08, rows), 4)
    employees = np.maximum(1, rng.lognormal(3.0, 1.0, rows)).astype(np.int32)
    numbers = pc.cast(pa.array(np.arange(1, rows + 1, dtype=np.int64)), pa.string())
    names = pc.binary_join_element_wise("企业", pc.utf8_lpad(numbers, 9, "0"), "")
    town_names = pa.array([f"{t + 1:04d}镇" for t in range(towns)])
    return pa.table(
        {
            HEADERS["year"]: pa.array(np.full(rows, YEAR, dtype=np.int16)),
            HEADERS["name"]: names,
            HEADERS["town"]: pa.DictionaryArray.from_arrays(pa.array(town), town_names),
            HEADERS["industry_code"]: pa.DictionaryArray.from_arrays(
                pa.array(industry), pa.array(industry_codes(industries))
            ),
            HEADERS["revenue"]: pa.array(revenue),
            HEADERS["profit"]: pa.array(profit),
            HEADERS["employees"]: pa.array(employees),
        }
    )


def register_path(cache: Path, rows: int, towns: int, industries: int, seed: int) -> Path:
    """The cached Parquet file of these parameters, written if it is not there yet."""
    import pyarrow.parquet as pq

    path = cache / f"register-{rows}r-{towns}t-{industries}i-s{seed}.parquet"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        table = generate(rows, towns, industries, seed)
        partial = path.with_suffix(".partial")
        pq.write_table(table, partial, row_group_size=1_000_000, compression="zstd")
        partial.rename(path)
    return path


# ------------------------------------------------------------------ the two implementations

LEVEL = "class"


def embedded_figures(
    path: Path, timings: dict[str, float] | None = None, loader: str = "typed"
) -> dict[str, Any]:
    """Everything with jiqun's embedded engine; ``timings`` gets each step's seconds.
    ``loader="text"`` reads the Parquet file as text cells first (the loader before O9)."""
    import polars as pl

    from jiqun.observatory import indicators as ind
    from jiqun.observatory import stats, towns
    from jiqun.observatory.register import load_register

    times = timings if timings is not None else {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[step] = now - clock
        clock = now

    if loader == "text":
        from jiqun.observatory.reading import read_table
        from jiqun.observatory.register import validate

        register = validate(read_table(path))
    else:
        register = load_register(path)
    lap("load")
    survey = stats.compute(register)
    lap("stats")
    # towns.diagnose, its reduction kept for the indicators below
    reduced = ind.reduce(register, level=LEVEL, measure="revenue")
    diagnosis = towns.diagnose_reduced(
        register,
        reduced,
        year=stats.chosen_year(register, None),
        measure="revenue",
        level=LEVEL,
        min_lq=1.0,
        min_share=0.10,
        closest=3,
        plan=None,
        plan_definitions=None,
    )
    lap("towns")
    x = reduced.cells.select(ind.REGION, ind.INDUSTRY, ind.VALUE)
    indicators = (
        ind.hoover(x)
        .join(ind.theil(x), on=ind.INDUSTRY)
        .join(ind.concentration_ratio(x, 3), on=ind.INDUSTRY)
        .rename({ind.INDUSTRY: "industry"})
    )
    krugman = ind.krugman(x).rename({ind.REGION: "town"})
    lap("indicators")

    clusters = pl.DataFrame(
        [
            {
                "cluster": c.name,
                "firms": c.figures.firms,
                "revenue": float(c.figures.revenue),
                "profit": float(c.figures.profit),
            }
            for c in survey.clusters
            if c.figures.firms  # pandas knows only the clusters that have firms
        ],
        schema={
            "cluster": pl.String,
            "firms": pl.Int64,
            "revenue": pl.Float64,
            "profit": pl.Float64,
        },
    )
    city = survey.city
    clusters = clusters.vstack(
        pl.DataFrame(
            {
                "cluster": ["(city)"],
                "firms": [city.firms],
                "revenue": [float(city.revenue)],
                "profit": [float(city.profit)],
            }
        )
    )
    town_rows = pl.DataFrame(
        {
            "town": [t.town for t in diagnosis.towns],
            "total": [float(t.total) for t in diagnosis.towns],
            "effective_number": [t.effective_number for t in diagnosis.towns],
            "leading": [",".join(sorted(t.leading)) for t in diagnosis.towns],
        }
    ).join(krugman, on="town")
    industries = pl.DataFrame(
        {
            "industry": [i.industry for i in diagnosis.industries],
            "total": [float(i.total) for i in diagnosis.industries],
            "towns_present": [i.towns_present for i in diagnosis.industries],
            "hhi": [i.hhi for i in diagnosis.industries],
            "gini": [i.gini for i in diagnosis.industries],
            "eg": [i.eg for i in diagnosis.industries],
            "ms": [i.ms for i in diagnosis.industries],
        }
    ).join(indicators, on="industry")
    cells = pl.DataFrame(
        {
            "town": [t.town for t in diagnosis.towns for _ in t.industries],
            "industry": [i.industry for t in diagnosis.towns for i in t.industries],
            "share": [i.share for t in diagnosis.towns for i in t.industries],
            "lq": [i.lq for t in diagnosis.towns for i in t.industries],
        }
    )
    return {"clusters": clusters, "towns": town_rows, "industries": industries, "cells": cells}


def pandas_figures(path: Path, timings: dict[str, float] | None = None) -> dict[str, Any]:
    """The same figures written the plain pandas way (no validation of the register)."""
    import numpy as np
    import pandas as pd
    import polars as pl

    from jiqun.observatory.clusters import default_definitions

    times = timings if timings is not None else {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[step] = now - clock
        clock = now

    df = pd.read_parquet(path).rename(columns={v: k for k, v in HEADERS.items()})
    df = df[df["year"] == df["year"].max()]
    lap("load")

    # O3: clusters by the longest code prefix of the default definitions.
    code = df["industry_code"].astype(str)
    cluster = pd.Series(pd.NA, index=df.index, dtype="object")
    prefixes: dict[int, dict[str, str]] = {}
    for c in default_definitions().clusters:
        for p in c.industry_codes:
            prefixes.setdefault(len(p), {})[p] = c.name
    for n in sorted(prefixes, reverse=True):
        cluster = cluster.fillna(code.str[:n].map(prefixes[n]))
    grouped = (
        df.assign(cluster=cluster)
        .groupby("cluster")
        .agg(firms=("revenue", "size"), revenue=("revenue", "sum"), profit=("profit", "sum"))
        .reset_index()
    )
    city = pd.DataFrame(
        {
            "cluster": ["(city)"],
            "firms": [len(df)],
            "revenue": [df["revenue"].sum()],
            "profit": [df["profit"].sum()],
        }
    )
    clusters = pd.concat([grouped, city], ignore_index=True)
    lap("stats")

    # O5: town × class.
    firms = pd.DataFrame(
        {"town": df["town"].astype(str), "industry": code.str[:4], "value": df["revenue"]}
    )
    x = firms.groupby(["town", "industry"], observed=True)["value"].sum().reset_index()
    x["town_total"] = x.groupby("town")["value"].transform("sum")
    x["industry_total"] = x.groupby("industry")["value"].transform("sum")
    total = x["value"].sum()
    x["share"] = x["value"] / x["town_total"]
    x["industry_share"] = x["value"] / x["industry_total"]
    x["lq"] = x["share"] / (x["industry_total"] / total)
    x["leading"] = (x["lq"] >= 1.0) & (x["share"] >= 0.10)
    towns = x.groupby("town").agg(total=("value", "sum"), hhi=("share", lambda s: (s**2).sum()))
    towns["effective_number"] = 1.0 / towns["hhi"]
    towns["leading"] = (
        x[x["leading"]].groupby("town")["industry"].agg(lambda s: ",".join(sorted(s)))
    )
    towns["leading"] = towns["leading"].fillna("")
    region_share = towns["total"] / total  # x_r
    industry_share = x.groupby("industry")["value"].sum() / total  # σ_i
    x["x_r"] = x["town"].map(region_share)
    x["sigma_i"] = x["industry"].map(industry_share)
    towns["krugman"] = (
        (x["share"] - x["sigma_i"]).abs().groupby(x["town"]).sum()
        + (1.0 - x.groupby("town")["sigma_i"].sum())  # industries absent from the town
    )

    ind = x.groupby("industry").agg(total=("value", "sum"), towns_present=("town", "size"))
    ind["hhi"] = (x["industry_share"] ** 2).groupby(x["industry"]).sum()
    # Hoover ½ Σ_r |s_ri − x_r| over all towns (absent ones have s = 0, contributing x_r).
    present_xr = x.groupby("industry")["x_r"].sum()
    ind["hoover"] = 0.5 * (
        (x["industry_share"] - x["x_r"]).abs().groupby(x["industry"]).sum() + (1.0 - present_xr)
    )
    ind["theil"] = (x["industry_share"] * np.log(x["lq"])).groupby(x["industry"]).sum()
    ind["cr"] = (
        x.sort_values("industry_share", ascending=False)
        .groupby("industry")["industry_share"]
        .apply(lambda s: s.head(3).sum())
    )
    # Locational Gini: towns by LQ ascending, absent towns (LQ 0) first.
    ginis = {}
    all_xr = region_share
    for industry, part in x.groupby("industry"):
        absent = all_xr.drop(part["town"].to_numpy())
        s = np.concatenate([np.zeros(len(absent)), part.sort_values("lq")["industry_share"]])
        xr = np.concatenate([absent.to_numpy(), part.sort_values("lq")["x_r"].to_numpy()])
        cum = np.cumsum(s)
        ginis[industry] = 1.0 - float((xr * (2.0 * cum - s)).sum())
    ind["gini"] = pd.Series(ginis)
    # Ellison–Glaeser and Maurel–Sédillot from the firms' Herfindahl.
    firm_total = firms.groupby("industry")["value"].transform("sum")
    ind["herfindahl"] = ((firms["value"] / firm_total) ** 2).groupby(firms["industry"]).sum()
    sum_x2 = float((all_xr**2).sum())
    ind["g"] = ((x["industry_share"] - x["x_r"]) ** 2).groupby(x["industry"]).sum() + (
        sum_x2 - (x["x_r"] ** 2).groupby(x["industry"]).sum()
    )
    ss2 = (x["industry_share"] ** 2).groupby(x["industry"]).sum()
    h = ind["herfindahl"]
    den = (1.0 - sum_x2) * (1.0 - h)
    ind["eg"] = (ind["g"] - (1.0 - sum_x2) * h) / den
    ind["ms"] = (ss2 - sum_x2 - h * (1.0 - sum_x2)) / den
    lap("towns")
    lap("indicators")

    return {
        "clusters": pl.from_pandas(clusters),
        "towns": pl.from_pandas(
            towns.reset_index()[["town", "total", "effective_number", "leading", "krugman"]]
        ),
        "industries": pl.from_pandas(
            ind.reset_index()[
                [
                    "industry",
                    "total",
                    "towns_present",
                    "hhi",
                    "gini",
                    "eg",
                    "ms",
                    "hoover",
                    "theil",
                    "cr",
                ]
            ]
        ),
        "cells": pl.from_pandas(x[["town", "industry", "share", "lq"]]),
    }


KEYS = {"clusters": ["cluster"], "towns": ["town"], "industries": ["industry"],
        "cells": ["town", "industry"]}  # fmt: skip


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    """Max relative difference of every compared figure; AssertionError when the keys, the
    counts or the leading industries differ, or a figure differs by more than 1e-9."""
    import polars as pl

    worst: dict[str, float] = {}
    for table, keys in KEYS.items():
        a, b = ours[table], theirs[table]
        assert a.height == b.height, f"{table}: {a.height} rows against {b.height}"
        joined = a.join(b, on=keys, how="inner", suffix="_pd")
        assert joined.height == a.height, f"{table}: keys differ"
        for column in a.columns:
            if column in keys:
                continue
            mine = joined[column]
            if mine.dtype == pl.String or mine.dtype.is_integer():
                bad = joined.filter(pl.col(column) != pl.col(f"{column}_pd"))
                assert bad.height == 0, f"{table}.{column}: {bad.head(3)}"
                continue
            diff = joined.select(
                ((pl.col(column) - pl.col(f"{column}_pd")).abs()
                 / pl.max_horizontal(pl.col(column).abs(), pl.lit(1.0))).max()
            ).item()  # fmt: skip
            worst[f"{table}.{column}"] = float(diff or 0.0)
            assert (diff or 0.0) <= TOLERANCE, f"{table}.{column}: relative Δ {diff}"
    return worst


# ------------------------------------------------------------------ processes


def child(args: argparse.Namespace) -> None:
    """Run one implementation on the cached file; print one JSON line; save the figures."""
    path = Path(args.path)
    timings: dict[str, float] = {}
    if args.impl == "embedded":  # imports before the clock starts
        import jiqun.observatory.register
        import jiqun.observatory.towns
    else:
        import pandas  # noqa: F401

        import jiqun.observatory.clusters  # noqa: F401
    before = current_rss_mb()
    start = time.perf_counter()
    if args.impl == "embedded":
        figures = embedded_figures(path, timings, args.loader)
    else:
        figures = pandas_figures(path, timings)
    total = time.perf_counter() - start
    out = Path(args.figures)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in figures.items():
        frame.write_parquet(out / f"{name}.parquet")
    print(
        json.dumps(
            {
                "impl": args.impl,
                "seconds": round(total, 3),
                "steps": {k: round(v, 3) for k, v in timings.items()},
                "rss_before_mb": round(before),
                "rss_peak_mb": round(rss_mb()),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000_000])
    parser.add_argument("--towns", type=int, default=3000)
    parser.add_argument("--industries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--impl", choices=["both", "embedded", "pandas"], default="both")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--loader",
        choices=["typed", "text"],
        default="typed",
        help="embedded: read Parquet with its types (default) or as text cells (as before O9)",
    )
    parser.add_argument("--json", type=Path, help="Append the results to this JSON-lines file.")
    parser.add_argument("--child", choices=["embedded", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--figures", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.impl = args.child
        child(args)
        return

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    impls = ["embedded", "pandas"] if args.impl == "both" else [args.impl]
    for rows in args.rows:
        start = time.perf_counter()
        path = register_path(args.cache, rows, args.towns, args.industries, args.seed)
        made = time.perf_counter() - start
        size = path.stat().st_size / 2**20
        print(f"\n{rows:,} rows, {args.towns:,} towns × {args.industries} classes: {path} "
              f"({size:,.0f} MB; ready in {made:.1f} s)")  # fmt: skip
        best: dict[str, dict[str, Any]] = {}
        for impl in impls:
            for _ in range(args.repeat):
                figures = args.cache / f"figures-{impl}-{path.stem}"
                command = [sys.executable, __file__, "--child", impl, "--path", str(path),
                           "--figures", str(figures), "--loader", args.loader]  # fmt: skip
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    sys.exit(f"{impl} failed:\n{done.stderr[-3000:]}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                result.update(rows=rows, figures=str(figures), loader=args.loader)
                steps = "  ".join(f"{k} {v:.2f}" for k, v in result["steps"].items())
                rss = f"RSS {result['rss_before_mb']:,} → {result['rss_peak_mb']:,} MB"
                print(f"  {impl:8s} {result['seconds']:7.2f} s  ({steps})  {rss}")
                if impl not in best or result["seconds"] < best[impl]["seconds"]:
                    best[impl] = result
                if args.json:
                    with args.json.open("a") as f:
                        f.write(json.dumps(result) + "\n")
        if len(best) == 2:
            import polars as pl

            loaded = {
                impl: {
                    name: pl.read_parquet(Path(r["figures"]) / f"{name}.parquet") for name in KEYS
                }
                for impl, r in best.items()
            }
            worst = compare(loaded["embedded"], loaded["pandas"])
            ratio = best["pandas"]["seconds"] / best["embedded"]["seconds"]
            print(f"  agree: max relative Δ {max(worst.values()):.1e} over "
                  f"{len(worst)} figures; pandas / embedded = {ratio:.2f}×")  # fmt: skip


if __name__ == "__main__":
    main()
