#!/usr/bin/env python
"""Benchmark: ``load_register`` + ``compute`` on synthetic registers.

Generates a synthetic enterprise register (every canonical column, Chinese headers) of
``--rows`` rows as CSV (UTF-8), CSV (GB18030) and Parquet, and of ``--xlsx-rows`` rows as
xlsx; then times ``load_register`` and ``compute`` on each file, every run in a fresh child
process, and reports wall times and peak RSS. Peers (plain polars / pandas read + group_by,
no validation) run the same way for context.

    .venv/bin/python bench/bench_register.py                      # defaults: 1 M / 100 k rows
    .venv/bin/python bench/bench_register.py --rows 100000 --xlsx-rows 10000 --repeat 1
    .venv/bin/python bench/bench_register.py --profile bench/out/register_1000000.csv

Generated files are kept in ``--out`` and reused while their manifest matches the arguments
(``--regenerate`` forces a rebuild). Generation needs numpy; pandas is optional (the pandas
peer runs under ``--peer-python`` if pandas imports there, and is skipped otherwise).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATOR_VERSION = 1
SEED = 20240601

TOWNS = (
    "密州街道",
    "龙都街道",
    "舜王街道",
    "枳沟镇",
    "贾悦镇",
    "石桥子镇",
    "相州镇",
    "昌城镇",
    "百尺河镇",
    "辛兴镇",
    "林家村镇",
    "皇华镇",
    "桃林镇",
)
# 4-digit GB/T 4754 codes: every default cluster (including the narrow 3531/3467/3541 inside
# the broad 35/34) and codes that belong to no cluster (2929 shares "29" but not "291").
CLUSTER_CODES = (
    "1711",
    "1713",
    "1762",
    "1810",
    "1830",  # 纺织服装业
    # 汽车及机械加工业
    "3610",
    "3660",
    "3670",
    "2911",
    "2913",
    "3311",
    "3340",
    "3411",
    "3441",
    "3511",
    "3520",
    "1310",
    "1340",
    "1351",
    "1411",
    "1431",
    "1512",
    "1524",  # 食品加工业
    "2614",
    "2625",
    "2710",
    "2720",
    "2811",  # 生物化工业
    "2221",
    "2231",
    "2311",
    "2319",  # 造纸包装业
    "3011",
    "3021",
    "3031",
    "4710",
    "4813",
    "4910",
    "5010",  # 建筑建材业
    "2011",
    "2032",
    "2110",
    "2130",  # 木器加工业
    "3531",
    "3467",  # 食品包装机械业
    "3541",  # 造纸机械业
)
OTHER_CODES = ("1910", "2411", "2929", "3130", "3811", "3912", "4411", "5111", "5261", "6010")
NAME_CHARS = (  # 100 distinct characters used in firm names
    "华泰盛鑫源恒通达兴隆昌宏远海天泽瑞丰安康永嘉信和祥福金玉银新国中东方明光正德美佳利成顺发云龙凤宝星辰"
    "阳春晨舜密州诸城潍坊齐鲁山河沃润鼎晟瀚博伟豪振宇峰翔凯鸿锦辉腾飞胜强盈创广裕浩睿骏旭晶林森松柏荣富贵"
)
assert len(NAME_CHARS) == len(set(NAME_CHARS)) == 100
KINDS = ("机械", "食品", "纺织", "化工", "纸业", "建材", "木业", "包装", "科技", "实业")


# ----------------------------------------------------------------------------- generation


def generate(rows: int, seed: int):  # -> pl.DataFrame (typed, canonical names)
    """A valid register of ``rows`` rows: ~rows/2 firms, each in 2023 and (mostly) 2024."""
    import numpy as np
    import polars as pl

    from jiqun.observatory import credit_code
    from jiqun.observatory.clusters import default_definitions

    rng = np.random.default_rng(seed)
    n24 = rows // 2
    n23 = rows - n24
    firms = n23
    idx = np.arange(firms, dtype=np.int64)

    # Credit codes: 9 (工商) 1 (企业) 370782 (诸城) + 9-character body from a bijection of
    # the firm index onto 31^9, + GB 32100-2015 check character (vectorised).
    alphabet = credit_code.ALPHABET
    value = {ch: i for i, ch in enumerate(alphabet)}
    vals = np.empty((firms, 17), dtype=np.int64)
    vals[:, 0] = np.where(rng.random(firms) < 0.97, value["9"], value["5"])
    vals[:, 1] = np.where(vals[:, 0] == value["9"], value["1"], value["2"])
    for k, ch in enumerate("370782"):
        vals[:, 2 + k] = value[ch]
    body = (idx * 2_654_435_761 + 97_531) % 31**9
    for k in range(8, -1, -1):
        vals[:, 8 + k] = body % 31
        body //= 31
    weights = np.array(credit_code.WEIGHTS, dtype=np.int64)
    check = (31 - (vals @ weights) % 31) % 31
    table = np.frombuffer(alphabet.encode(), dtype=np.uint8)
    code_bytes = np.ascontiguousarray(table[np.concatenate([vals, check[:, None]], axis=1)])
    codes = pl.Series(code_bytes.view("S18").ravel()).cast(pl.String)
    for i in rng.choice(firms, size=min(firms, 1000), replace=False):
        c = codes[int(i)]
        assert credit_code.check_character(c[:17]) == c[17], c

    # Names: 诸城 + three characters spelling the firm index in base len(NAME_CHARS) (unique)
    # + a trade word + 有限公司.
    base = len(NAME_CHARS)
    assert firms <= base**3, "more firms than distinct names"
    chars = dict(enumerate(NAME_CHARS))
    ids = pl.Series("i", idx)
    name_frame = pl.DataFrame({"i": ids, "k": rng.integers(0, len(KINDS), firms)}).select(
        pl.concat_str(
            pl.lit("诸城"),
            *[
                (pl.col("i") // base**p % base).replace_strict(chars, return_dtype=pl.String)
                for p in (2, 1, 0)
            ],
            pl.col("k").replace_strict(dict(enumerate(KINDS)), return_dtype=pl.String),
            pl.lit("有限公司"),
        ).alias("name")
    )

    codes_all = np.array(CLUSTER_CODES + OTHER_CODES)
    p = np.r_[
        np.full(len(CLUSTER_CODES), 0.78 / len(CLUSTER_CODES)),
        np.full(len(OTHER_CODES), 0.22 / len(OTHER_CODES)),
    ]
    industry = codes_all[rng.choice(len(codes_all), size=firms, p=p)]
    # A few codes carry the section letter (C3531), which the register strips.
    industry = np.where(rng.random(firms) < 0.02, np.char.add("C", industry), industry)

    capital = np.round(rng.lognormal(6.0, 1.2, firms), 1)
    revenue23 = np.round(rng.lognormal(8.0, 1.5, firms), 1)
    firm = pl.DataFrame(
        {
            "name": name_frame["name"],
            "credit_code": codes,
            "town": np.array(TOWNS)[rng.integers(0, len(TOWNS), firms)],
            "industry_code": industry,
            "registered_capital": capital,
            "high_tech": rng.random(firms) < 0.08,
            "rd_centres": rng.poisson(0.15, firms),
            "key_enterprise": rng.random(firms) < 0.002,
            "_rev23": revenue23,
        }
    )

    def year_frame(year: int, n: int, revenue):
        rev = revenue[:n]
        margin = rng.normal(0.06, 0.08, n)
        profit = np.round(rev * margin, 2)
        profit_tax = np.round(profit + rev * rng.uniform(0.01, 0.05, n), 2)
        employees = np.maximum(1, np.round(rev / 100 * rng.lognormal(0.0, 0.5, n))).astype(np.int64)
        return (
            firm.head(n)
            .drop("_rev23")
            .with_columns(
                pl.lit(year, pl.Int64).alias("year"),
                pl.Series("revenue", rev),
                pl.Series("profit_tax", profit_tax),
                pl.Series("profit", profit),
                pl.Series("employees", employees),
                pl.Series("above_quota", rev >= 2000),
                pl.Series("provincial_brand_products", rng.poisson(0.02, n)),
                pl.Series("provincial_famous_trademarks", rng.poisson(0.01, n)),
                pl.Series("national_brand_products", rng.poisson(0.002, n)),
                pl.Series("china_well_known_trademarks", rng.poisson(0.001, n)),
            )
        )

    revenue24 = np.round(revenue23 * rng.lognormal(0.05, 0.15, firms), 1)
    frame = pl.concat([year_frame(2023, n23, revenue23), year_frame(2024, n24, revenue24)])
    # The register's own cluster column, consistent with the default definitions.
    frame = frame.with_columns(
        default_definitions()
        .assign(pl.col("industry_code").str.replace(r"^C", ""))
        .alias("cluster")
    )
    from jiqun.observatory.schema import COLUMNS

    return frame.select([c.name for c in COLUMNS])


def _with_separators(values, rng):
    """Amounts as text; about one in ten written with thousands separators ("1,234.5")."""
    import polars as pl

    text = values.cast(pl.String).to_list()
    for i in rng.choice(len(text), size=len(text) // 10, replace=False):
        v = values[int(i)]
        if v is not None:
            text[int(i)] = f"{v:,.1f}" if round(v, 1) == v else f"{v:,}"
    return pl.Series(values.name, text, dtype=pl.String)


def as_written(frame, seed: int, separators: bool):  # -> pl.DataFrame with Chinese headers
    """The register as a statistics office would write it: 是/否, Chinese headers, and
    (``separators``) text amounts with some thousands separators."""
    import numpy as np
    import polars as pl

    from jiqun.observatory.schema import COLUMNS, Kind

    rng = np.random.default_rng(seed + 1)
    out = frame.with_columns(
        pl.when(pl.col(c.name)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(c.name)
        for c in COLUMNS
        if c.kind is Kind.FLAG
    )
    if separators:
        out = out.with_columns(
            _with_separators(out["revenue"], rng), _with_separators(out["registered_capital"], rng)
        )
    return out.rename({c.name: c.label_zh for c in COLUMNS})


def write_xlsx(frame, path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("企业名录")
    sheet.write_row(0, 0, frame.columns)
    for r, row in enumerate(frame.iter_rows(), start=1):
        sheet.write_row(r, 0, row)
    workbook.close()


def build_files(rows: int, xlsx_rows: int, out: Path, regenerate: bool) -> list[dict]:
    """Write (or reuse) the four files; return [{label, path, rows}]."""
    out.mkdir(parents=True, exist_ok=True)
    files = [
        {"label": "CSV UTF-8", "path": out / f"register_{rows}.csv", "rows": rows},
        {"label": "CSV GB18030", "path": out / f"register_{rows}_gb18030.csv", "rows": rows},
        {"label": "Parquet", "path": out / f"register_{rows}.parquet", "rows": rows},
        {"label": "xlsx", "path": out / f"register_{xlsx_rows}.xlsx", "rows": xlsx_rows},
    ]
    manifest_path = out / "manifest.json"
    wanted = {"version": GENERATOR_VERSION, "seed": SEED, "rows": rows, "xlsx_rows": xlsx_rows}
    present = manifest_path.exists() and all(f["path"].exists() for f in files)
    if not regenerate and present and json.loads(manifest_path.read_text()) == wanted:
        print(f"reusing generated files in {out} (--regenerate to rebuild)", flush=True)
        return files
    manifest_path.unlink(missing_ok=True)

    t0 = time.perf_counter()
    frame = generate(rows, SEED)
    print(f"generated {rows:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    t = time.perf_counter()
    as_written(frame, SEED, separators=True).write_csv(files[0]["path"])
    data = files[0]["path"].read_bytes()
    files[1]["path"].write_bytes(data.decode("utf-8").encode("gb18030"))
    del data
    as_written(frame, SEED, separators=False).write_parquet(files[2]["path"])
    print(f"wrote CSV, GB18030 CSV, Parquet in {time.perf_counter() - t:.1f} s", flush=True)
    del frame
    t = time.perf_counter()
    small = generate(xlsx_rows, SEED + 7)
    write_xlsx(as_written(small, SEED + 7, separators=True), files[3]["path"])
    print(f"wrote xlsx of {xlsx_rows:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
    manifest_path.write_text(json.dumps(wanted))
    return files


# ----------------------------------------------------------------------------- child modes


def _peak_mb() -> float:
    """Peak RSS of this process, MB, from getrusage (KiB on Linux).

    Linux carries ru_maxrss across exec (it records the exec'ing process's high-water mark),
    so a child started by a big parent reports at least the parent's size: the driver
    therefore never imports polars or holds data; generation runs in a child of its own.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hwm_mb() -> float:
    """VmHWM of this process's own address space (reset at exec), MB: a cross-check."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(path: Path) -> dict:
    """One run of load_register + compute (in this fresh process)."""
    t0 = time.perf_counter()
    from jiqun.observatory.register import load_register
    from jiqun.observatory.stats import compute

    imported = time.perf_counter()
    base_mb = _peak_mb()
    register = load_register(path)
    loaded = time.perf_counter()
    stats = compute(register)
    done = time.perf_counter()
    assert register.rejected == 0 and stats.city.firms > 0
    return {
        "import_s": imported - t0,
        "load_s": loaded - imported,
        "stats_s": done - loaded,
        "total_s": done - imported,
        "rows": register.frame.height,
        "firms": stats.city.firms,
        "base_mb": base_mb,
        "peak_mb": _peak_mb(),
        "hwm_mb": _hwm_mb(),
    }


def _group_sum_polars(df):
    import polars as pl

    revenue = (
        pl.col("主营业务收入（万元）").cast(pl.String).str.replace_all(",", "").cast(pl.Float64)
    )
    code = pl.col("行业代码").cast(pl.String).str.slice(0, 2)
    return df.group_by(pl.col("年度"), code).agg(revenue.sum())


def peer(kind: str, path: Path) -> dict:
    """Plain read + group_by sum of revenue by (year, 2-digit industry), no validation."""
    t0 = time.perf_counter()
    suffix = path.suffix
    gb = "gb18030" in path.name
    if kind == "polars":
        import io

        import polars as pl

        imported = time.perf_counter()
        base_mb = _peak_mb()
        # Amounts with thousands separators are text; the group_by strips the commas.
        text = {c: pl.String for c in ("注册资金（万元）", "主营业务收入（万元）", "行业代码")}
        if suffix == ".parquet":
            df = pl.read_parquet(path)
        elif suffix == ".csv" and gb:  # polars reads UTF-8 only: decode first, as jiqun does
            data = path.read_bytes().decode("gb18030").encode("utf-8")
            df = pl.read_csv(io.BytesIO(data), schema_overrides=text)
        elif suffix == ".csv":
            df = pl.read_csv(path, schema_overrides=text)
        else:
            df = pl.read_excel(path)  # needs fastexcel; ImportError -> skipped
        loaded = time.perf_counter()
        result = _group_sum_polars(df)
    elif kind == "pandas":
        import pandas as pd

        imported = time.perf_counter()
        base_mb = _peak_mb()
        if suffix == ".parquet":
            df = pd.read_parquet(path)
        elif suffix == ".csv":
            df = pd.read_csv(
                path, encoding="gb18030" if gb else "utf-8", thousands=",", dtype={"行业代码": str}
            )
        else:
            df = pd.read_excel(path, engine="calamine", dtype={"行业代码": str})
        loaded = time.perf_counter()
        revenue = pd.to_numeric(df["主营业务收入（万元）"].astype(str).str.replace(",", ""))
        result = revenue.groupby([df["年度"], df["行业代码"].astype(str).str.slice(0, 2)]).sum()
    else:
        raise SystemExit(f"unknown peer {kind}")
    done = time.perf_counter()
    assert len(result) > 0
    return {
        "import_s": imported - t0,
        "load_s": loaded - imported,
        "stats_s": done - loaded,
        "total_s": done - imported,
        "rows": len(df),
        "base_mb": base_mb,
        "peak_mb": _peak_mb(),
        "hwm_mb": _hwm_mb(),
    }


def profile(path: Path, use_cprofile: bool) -> None:
    """Stage times (read_table, validate, compute, compute with explicit definitions)."""
    import cProfile
    import pstats

    from jiqun.observatory.clusters import default_definitions
    from jiqun.observatory.reading import read_table
    from jiqun.observatory.register import validate
    from jiqun.observatory.stats import compute

    prof = cProfile.Profile() if use_cprofile else None
    if prof:
        prof.enable()
    t0 = time.perf_counter()
    table = read_table(path)
    t1 = time.perf_counter()
    register = validate(table)
    t2 = time.perf_counter()
    compute(register)
    t3 = time.perf_counter()
    compute(register, definitions=default_definitions())
    t4 = time.perf_counter()
    if prof:
        prof.disable()
    print(
        f"read_table {t1 - t0:.2f} s | validate {t2 - t1:.2f} s | compute {t3 - t2:.2f} s | "
        f"compute(definitions) {t4 - t3:.2f} s | peak RSS {_peak_mb():.0f} MB"
    )
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


# ----------------------------------------------------------------------------- driver


def run_child(args: list[str], python: str = sys.executable) -> dict | None:
    """Run this script in a fresh process; its last stdout line is a JSON result."""
    proc = subprocess.run(
        [python, str(Path(__file__).resolve()), *args], capture_output=True, text=True
    )
    if proc.returncode != 0:
        if "ModuleNotFoundError" in proc.stderr or "ImportError" in proc.stderr:
            return None  # peer library not installed: skip silently
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"child {args} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def repeat_runs(args: list[str], k: int, python: str = sys.executable) -> dict | None:
    runs = []
    for _ in range(k):
        r = run_child(args, python)
        if r is None:
            return None
        runs.append(r)
    summary = {
        "runs": runs,
        "rows": runs[0]["rows"],
        "peak_mb": max(r["peak_mb"] for r in runs),
        "hwm_mb": max(r["hwm_mb"] for r in runs),
        "base_mb": statistics.median(r["base_mb"] for r in runs),
    }
    for key in ("load_s", "stats_s", "total_s", "import_s"):
        values = [r[key] for r in runs]
        summary[key] = {"best": min(values), "median": statistics.median(values)}
    return summary


def machine() -> dict:
    import polars as pl

    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    from importlib import metadata

    versions = {"python": platform.python_version(), "polars": pl.__version__}
    for dist in ("pyarrow", "python-calamine", "xlsxwriter", "numpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(mem_kb / 2**20, 1),
        "platform": platform.platform(),
        **versions,
    }


def fmt(s: dict) -> str:
    return f"{s['best']:.2f} / {s['median']:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--regenerate", action="store_true", help="rebuild the files even if present")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument(
        "--peer-python",
        default=sys.executable,
        help="interpreter for the pandas peer (default: this one)",
    )
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--info", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--peer", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    ap.add_argument("--profile", type=Path, help="time the stages on FILE (no table)")
    ap.add_argument("--cprofile", action="store_true", help="with --profile: cProfile too")
    args = ap.parse_args()

    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.peer:
        print(json.dumps(peer(args.peer[0], Path(args.peer[1]))))
        return
    if args.profile:
        profile(args.profile, args.cprofile)
        return
    if args.info:
        print(json.dumps(machine(), ensure_ascii=False))
        return
    if args.build:
        files = build_files(args.rows, args.xlsx_rows, args.out, args.regenerate)
        print(json.dumps([{**f, "path": str(f["path"])} for f in files], ensure_ascii=False))
        return

    # The driver stays small (no polars, no data): see _peak_mb.
    info = run_child(["--info"])
    assert info is not None
    print(json.dumps(info, ensure_ascii=False), flush=True)
    build = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--build",
        "--rows",
        str(args.rows),
        "--xlsx-rows",
        str(args.xlsx_rows),
        "--out",
        str(args.out),
    ]
    proc = subprocess.run(
        build + (["--regenerate"] if args.regenerate else []),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    lines = proc.stdout.strip().splitlines()
    print("\n".join(lines[:-1]), flush=True)
    files = [{**f, "path": Path(f["path"])} for f in json.loads(lines[-1])]
    aims = {"xlsx": 20.0}
    results = []
    print(
        f"\nload_register + compute, {args.repeat} fresh process(es) per file; times best / median",
        flush=True,
    )
    header = (
        f"| {'file':<12} | {'rows':>9} | {'size MB':>7} | {'load s':>11} | {'stats s':>11} | "
        f"{'total s':>11} | {'peak RSS MB':>11} | aim |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|", flush=True)
    for f in files:
        s = repeat_runs(["--measure", str(f["path"])], args.repeat)
        assert s is not None
        aim = aims.get(f["label"], 5.0)
        size = f["path"].stat().st_size / 1e6
        ok = "met" if s["total_s"]["median"] < aim else "MISSED"
        results.append(
            {
                "label": f["label"],
                "path": str(f["path"]),
                "size_mb": size,
                "aim_s": aim,
                "aim": ok,
                **s,
            }
        )
        print(
            f"| {f['label']:<12} | {s['rows']:>9,} | {size:>7.1f} | {fmt(s['load_s']):>11} | "
            f"{fmt(s['stats_s']):>11} | {fmt(s['total_s']):>11} | {s['peak_mb']:>11.0f} | "
            f"<{aim:.0f} s {ok} |",
            flush=True,
        )

    peers = []
    if not args.no_peers:
        print("\npeers: plain read + group_by sum (no validation); times best / median")
        print(
            f"| {'peer':<7} | {'file':<12} | {'read s':>11} | {'group_by s':>11} | "
            f"{'total s':>11} | {'peak RSS MB':>11} |"
        )
        print(
            "|---------|--------------|-------------|-------------|-------------|-------------|",
            flush=True,
        )
        for kind, python in (("polars", sys.executable), ("pandas", args.peer_python)):
            for f in files:
                s = repeat_runs(["--peer", kind, str(f["path"])], args.repeat, python)
                if s is None:
                    continue
                peers.append({"peer": kind, "label": f["label"], **s})
                print(
                    f"| {kind:<7} | {f['label']:<12} | {fmt(s['load_s']):>11} | "
                    f"{fmt(s['stats_s']):>11} | {fmt(s['total_s']):>11} | "
                    f"{s['peak_mb']:>11.0f} |",
                    flush=True,
                )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": info, "argv": sys.argv, "results": results, "peers": peers},
                ensure_ascii=False,
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
