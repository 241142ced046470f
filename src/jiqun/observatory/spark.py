"""The Spark engine (PRODUCT.md O9): the same statistics and town diagnosis, aggregated by PySpark.

Validation stays in the embedded loader (:func:`jiqun.observatory.register.load_register`):
one set of rules and one set of messages naming file, row, field and value. What Spark does
is the part that grows with the register — every group-by over all firms. The validated,
typed columns are handed over as a Parquet file in a temporary directory (Spark reads it in
parallel; no Python object per row), Spark reduces them to the small tables of
:class:`jiqun.observatory.stats.Sums` and :class:`jiqun.observatory.indicators.Reduced`, and
the embedded code assembles the figures from those.

Identical figures, not merely close ones: amounts are summed as integers of fen
(⌊x·10⁶ + ½⌋, the same float steps as :func:`jiqun.observatory.stats.in_units`), squares as
``DECIMAL(38, 0)``, never as doubles, and only the exact sums become floats — the nearest
float of an exact integer is the same in the JVM and in polars. Rankings break ties the same
way (revenue, name, row).

PySpark is an optional extra (``pip install 'jiqun[spark]'``; it needs Java 17 or later).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from jiqun.i18n import Lang, current_lang
from jiqun.observatory import indicators as ind
from jiqun.observatory import stats as st
from jiqun.observatory import towns
from jiqun.observatory.clusters import ClusterDefinitions, default_definitions
from jiqun.observatory.errors import FileProblem, UserError
from jiqun.observatory.register import Register
from jiqun.observatory.towns import TownDiagnosis

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

MASTER = os.environ.get("JIQUN_SPARK_MASTER", "local[2]")  # e.g. spark://host:7077
_DIGITS = {"division": 2, "group": 3, "class": 4}


class SparkMissing(UserError):
    """``--engine spark`` without PySpark (or without the Java it runs on)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(self.lines()[0])

    def lines(self, lang: Lang | None = None) -> list[str]:
        if (lang or current_lang()) == "zh":
            return [
                "--engine spark 需要 PySpark（≥ 3.5）和 Java 17：请安装 "
                f"pip install 'jiqun[spark]'，或改用 --engine embedded（{self.detail}）"
            ]
        return [
            "--engine spark needs PySpark (>= 3.5) and Java 17: pip install 'jiqun[spark]', "
            f"or use --engine embedded ({self.detail})"
        ]


def _pyspark() -> Any:
    """The ``pyspark.sql`` module, or :class:`SparkMissing`."""
    try:
        import pyspark.sql
    except ImportError as e:
        raise SparkMissing(str(e)) from None
    return pyspark.sql


# For registers of a few thousand rows (tests, demos): compiling whole-stage code and
# re-planning adaptively cost seconds per query and gain nothing on a few thousand rows.
SMALL = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
}


def session(master: str = MASTER, config: dict[str, str] | None = None) -> SparkSession:
    """A local Spark session for the engine: no web UI, few shuffle partitions (the reduced
    tables are small), quiet logs, ``config`` on top (e.g. :data:`SMALL`). Reuses the
    running session if there is one."""
    sql = _pyspark()
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.ansi.enabled": "true",  # an overflowing sum fails, never wraps
        "spark.driver.extraJavaOptions": "-Dlog4j2.level=ERROR",
        **(config or {}),
    }
    builder = sql.SparkSession.builder.master(master).appName("jiqun-observatory")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark: SparkSession = builder.getOrCreate()
    except Exception as e:  # no Java, or Java too old: Py4J raises several types
        raise SparkMissing(str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)) from e
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def _table(spark: SparkSession, register: Register, columns: list[str]) -> Iterator[DataFrame]:
    """The register's typed ``columns`` as a Spark frame, via Parquet in a temporary directory
    that lives until the block ends (Spark reads lazily)."""
    with tempfile.TemporaryDirectory(prefix="jiqun-spark-") as tmp:
        path = Path(tmp) / "register.parquet"
        register.frame.select(columns).write_parquet(path, statistics=False)
        yield spark.read.parquet(str(path))


def _f() -> Any:
    """``pyspark.sql.functions``, or :class:`SparkMissing`."""
    _pyspark()
    import pyspark.sql.functions as functions

    return functions


def in_units(column: str) -> Column:
    """:func:`jiqun.observatory.stats.in_units` in Spark: the same float steps, then a long."""
    f = _f()
    units: Column = f.floor(f.col(column) * st.UNITS + 0.5).cast("long")
    return units


def _cluster(register: Register, definitions: ClusterDefinitions | None) -> Column:
    """:func:`jiqun.observatory.stats.with_clusters` in Spark: the register's cluster column,
    or the longest industry-code prefix in the definitions."""
    f = _f()
    if definitions is None and "cluster" in register.present:
        own: Column = f.col("cluster")
        return own
    defs = definitions or default_definitions()
    if "industry_code" not in register.present:
        raise FileProblem(register.source, "no_cluster_source")
    by_length: dict[int, dict[str, str]] = {}
    for cluster in defs.clusters:
        for code in cluster.industry_codes:
            by_length.setdefault(len(code), {})[code] = cluster.name
    lookups = []
    for n in sorted(by_length, reverse=True):
        pairs = [f.lit(x) for item in sorted(by_length[n].items()) for x in item]
        lookups.append(f.create_map(*pairs)[f.substring(f.col("industry_code"), 1, n)])
    assigned: Column = f.coalesce(*lookups)
    return assigned


def _aggregations() -> list[Column]:
    """:func:`jiqun.observatory.stats._aggregations` in Spark."""
    f = _f()
    return [
        f.count(f.lit(1)).alias("firms"),
        f.sum(f.coalesce(f.col("above_quota"), f.lit(True)).cast("long")).alias(
            "above_quota_firms"
        ),
        f.sum(f.coalesce(f.col("high_tech"), f.lit(False)).cast("long")).alias("high_tech_firms"),
        f.sum("rd_centres").alias("rd_centres"),
        *[f.sum(in_units(k)).alias(k) for k in st.AMOUNTS],
        *[f.sum(k).alias(k) for k in st.COUNTS],
    ]


_STATS_COLUMNS = [
    "_row",
    "year",
    "name",
    "industry_code",
    "cluster",
    "above_quota",
    "high_tech",
    "key_enterprise",
    "rd_centres",
    *st.AMOUNTS,
    *st.COUNTS,
]


def compute(
    register: Register,
    year: int | None = None,
    definitions: ClusterDefinitions | None = None,
    *,
    spark: SparkSession | None = None,
) -> st.SurveyStats:
    """:func:`jiqun.observatory.stats.compute`, the sums computed by Spark."""
    f = _f()
    year = st.chosen_year(register, year)
    cluster = _cluster(register, definitions)
    spark = spark or session()
    with _table(spark, register, _STATS_COLUMNS) as table:
        frame = table.where(f.col("year").isin(year, year - 1)).withColumn(st.CLUSTER, cluster)
        frame = frame.cache()
        city = {
            int(r["year"]): st.Figures.from_row(r.asDict())
            for r in frame.groupBy("year").agg(*_aggregations()).collect()
        }
        grouped = (
            frame.where(f.col(st.CLUSTER).isNotNull())
            .groupBy("year", st.CLUSTER)
            .agg(*_aggregations())
            .collect()
        )
        clusters = {
            (int(r["year"]), str(r[st.CLUSTER])): st.Figures.from_row(r.asDict()) for r in grouped
        }
        keys = _key_enterprises(frame.where(f.col("year") == year))
        frame.unpersist()
    return st.assemble(register, year, definitions, st.Sums(city, clusters, keys))


def _key_enterprises(frame: DataFrame) -> dict[str, tuple[str, ...]]:
    """:func:`jiqun.observatory.stats._key_enterprises` in Spark, with its order and ties."""
    f = _f()
    from pyspark.sql import Window

    flagged = f.coalesce(f.col("key_enterprise"), f.lit(False))
    per_cluster = Window.partitionBy(st.CLUSTER)
    order = per_cluster.orderBy(
        f.col("revenue").desc_nulls_last(), f.col("name").asc_nulls_last(), f.col("_row").asc()
    )
    chosen = (
        frame.where(f.col(st.CLUSTER).isNotNull())
        .withColumn("_any_flag", f.max(flagged).over(per_cluster))
        .where(flagged | ~f.col("_any_flag"))
        .withColumn("_rank", f.row_number().over(order))
        .where(f.col("_any_flag") | (f.col("_rank") <= st.KEY_FALLBACK))
        .select(st.CLUSTER, "name", "_rank")
        .collect()
    )
    out: dict[str, list[tuple[int, str]]] = {}
    for r in chosen:
        out.setdefault(str(r[st.CLUSTER]), []).append((int(r["_rank"]), str(r["name"])))
    return {c: tuple(name for _, name in sorted(ranked)) for c, ranked in out.items()}


def reduce(
    register: Register,
    *,
    year: int | None = None,
    level: ind.Level = "division",
    measure: ind.Measure = "revenue",
    definitions: ClusterDefinitions | None = None,
    spark: SparkSession | None = None,
) -> ind.Reduced:
    """:func:`jiqun.observatory.indicators.reduce` in Spark: per town × industry and per
    industry, firms and exact sums (longs; squares as DECIMAL(38, 0))."""
    f = _f()
    year = st.chosen_year(register, year)
    if level == "cluster":
        industry = _cluster(register, definitions)
    else:
        if "industry_code" not in register.present:
            raise ind.NoIndustryCodes(register.source, level)
        digits = _DIGITS[level]
        code = f.col("industry_code")
        industry = f.when(f.length(code) >= digits, f.substring(code, 1, digits))
    if measure == "firms":
        units, scale = f.lit(1).cast("long"), 1
    elif measure == "revenue":
        units, scale = f.coalesce(in_units("revenue"), f.lit(0).cast("long")), st.UNITS
    else:
        units, scale = f.coalesce(f.col(measure).cast("long"), f.lit(0).cast("long")), 1
    spark = spark or session()
    columns = ["year", "town", "industry_code", "cluster", "revenue", "employees"]
    with _table(spark, register, columns) as table:
        firms = (
            table.where(f.col("year") == year)
            .select(
                f.col("town").alias(ind.REGION),
                industry.alias(ind.INDUSTRY),
                units.alias("units"),
            )
            .dropna(subset=[ind.REGION, ind.INDUSTRY])
            .cache()
        )
        cells = firms.groupBy(ind.REGION, ind.INDUSTRY).agg(
            f.count(f.lit(1)).alias("firms"), f.sum("units").alias("units")
        )
        wide = f.col("units").cast("decimal(38,0)")
        industries = firms.groupBy(ind.INDUSTRY).agg(
            f.count(f.lit(1)).alias("firms"),
            f.sum("units").alias("units"),
            f.sum(wide * wide).cast("double").alias("squares"),
        )
        cells_frame = _polars(cells)
        industries_frame = _polars(industries)
        firms.unpersist()
    return ind.Reduced.from_units(cells_frame, industries_frame, scale)


def _polars(frame: DataFrame) -> pl.DataFrame:
    """A (small, reduced) Spark frame collected through Arrow."""
    collected = pl.from_arrow(frame.toArrow())
    assert isinstance(collected, pl.DataFrame)
    return collected


def diagnose(
    register: Register, *, spark: SparkSession | None = None, **options: Any
) -> TownDiagnosis:
    """:func:`jiqun.observatory.towns.diagnose` (same ``options``), the firms reduced by Spark.
    The planned clusters' centre shares (``plan``) are per planned cluster and stay embedded."""
    return towns.diagnose(register, reducer=partial(reduce, spark=spark), **options)
