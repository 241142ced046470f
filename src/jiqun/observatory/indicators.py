"""Indicators of economic geography over a long table of activity (PRODUCT.md O4).

Every function takes a polars frame in *long* form — one row per region × industry with the
columns ``region``, ``industry`` and ``value`` (duplicates are summed, missing pairs count as
zero) — and returns a frame keyed by region and/or industry. Everything is vectorised: polars
expressions over the whole table, or numpy over the dense region × industry matrix; nothing
loops over rows in Python.

Notation (x any measure: revenue, employees or firms):

* x_ri  activity of industry i in region r; x_r· = Σ_i x_ri; x_·i = Σ_r x_ri; x·· = Σ x_ri;
* s_ri = x_ri / x_·i  region r's share of industry i; x_r = x_r· / x··  region r's share of all
  activity (the reference distribution of "no localisation");
* σ_ri = x_ri / x_r·  industry i's share of region r; σ_i = x_·i / x··  its share of all
  activity (the reference distribution of "no specialisation").

Functions with ``of="industry"`` describe how an industry is spread over regions (localisation,
concentration); ``of="region"`` how a region's activity is spread over industries
(specialisation, diversity). The same formula is applied with the roles swapped.

A key whose total is zero has no shares: its indices are null, never NaN or an exception.

``firm_table`` and ``activity_table`` build the tables from a :class:`Register`: one year, one
level of industry (cluster, GB/T 4754 division, group or class) and one measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray

from jiqun.i18n import current_lang
from jiqun.observatory.clusters import ClusterDefinitions
from jiqun.observatory.errors import UserError
from jiqun.observatory.register import Register
from jiqun.observatory.stats import CLUSTER, UNITS, chosen_year, in_units, with_clusters

REGION = "region"
INDUSTRY = "industry"
VALUE = "value"

Level = Literal["cluster", "division", "group", "class"]
Measure = Literal["revenue", "employees", "firms"]
Of = Literal["industry", "region"]

LEVELS: tuple[Level, ...] = ("cluster", "division", "group", "class")
MEASURES: tuple[Measure, ...] = ("revenue", "employees", "firms")
_DIGITS: dict[Level, int] = {"division": 2, "group": 3, "class": 4}

F64 = NDArray[np.float64]


class NoIndustryCodes(UserError):
    """A code level (division, group, class) was asked of a register without industry codes."""

    def __init__(self, source: str, level: str) -> None:
        self.source = source
        self.level = level
        super().__init__(self.lines()[0])

    def lines(self, lang: str | None = None) -> list[str]:
        if (lang or current_lang()) == "zh":
            return [f"{self.source}：登记表没有“行业代码”列，无法按行业{self.level}层级计算"]
        return [f"{self.source}: the register has no industry code column: no {self.level} level"]


# --------------------------------------------------------------------------------------------
# Tables from a register
# --------------------------------------------------------------------------------------------


def firm_table(
    register: Register,
    *,
    year: int | None = None,
    level: Level = "division",
    measure: Measure = "revenue",
    definitions: ClusterDefinitions | None = None,
) -> pl.DataFrame:
    """One row per firm of ``year`` (default: the latest): ``region`` (its town), ``industry``
    at ``level`` and ``value`` of ``measure`` (revenue in 万元, employees, or 1 per firm).

    Levels: ``cluster`` (the register's cluster column, else ``definitions`` or the default
    definitions over industry codes, as :func:`jiqun.observatory.stats.with_clusters`);
    ``division``/``group``/``class``: the first 2/3/4 digits of the GB/T 4754 industry code.
    A firm whose code is shorter than the level (a 2-digit code at the class level), with no
    cluster, or with no town, cannot be placed and is left out. A missing revenue or employee
    count counts as zero.
    """
    year = chosen_year(register, year)
    frame, industry = _placed(register, level, definitions)
    amount = pl.col(measure) if measure != "firms" else pl.lit(1.0)
    value = amount.cast(pl.Float64).fill_null(0.0)
    return (
        frame.lazy()
        .filter(pl.col("year") == year)
        .select(
            pl.col("town").alias(REGION),
            industry.alias(INDUSTRY),
            value.alias(VALUE),
        )
        .drop_nulls([REGION, INDUSTRY])
        .collect()
    )


def measure_units(measure: Measure) -> tuple[pl.Expr, int]:
    """A firm's ``measure`` as an exact integer and the integers per unit: revenue in fen
    (:func:`jiqun.observatory.stats.in_units`, 10⁶ per 万元), employees as counted, 1 per firm.
    A missing revenue or employee count is 0."""
    if measure == "firms":
        return pl.lit(1, pl.Int64), 1
    if measure == "revenue":
        return in_units("revenue").fill_null(0), UNITS
    return pl.col(measure).cast(pl.Int64).fill_null(0), 1


@dataclass(frozen=True)
class Reduced:
    """A register's activity of one year, level and measure reduced to what the town
    diagnosis needs — the part an engine (embedded or Spark) computes over all firms.

    ``cells``: one row per region × industry with firms, sorted by both: ``value`` (x_ri in
    the measure's unit) and ``firms``. ``industries``: one row per industry, sorted: ``firms``,
    ``total`` (x_·i) and ``herfindahl`` H_i = Σ_k x_k² / x_·i² of its firms (see
    :func:`agglomeration`). Sums are computed exactly in integers (:func:`measure_units`; the
    squares in 128 bits) and only then turned into floats, so every engine gives the same
    floats, bit for bit.
    """

    cells: pl.DataFrame
    industries: pl.DataFrame

    @staticmethod
    def from_units(cells: pl.DataFrame, industries: pl.DataFrame, scale: int) -> Reduced:
        """From integer sums: ``cells`` (region, industry, units, firms) and ``industries``
        (industry, firms, units, squares — the sum of squared units, any integer or float
        type holding the exact value's nearest float)."""
        value = (pl.col("units").cast(pl.Float64) / scale).alias(VALUE)
        squares = pl.col("squares").cast(pl.Float64)
        total = pl.col("units").cast(pl.Float64)
        return Reduced(
            cells.select(
                pl.col(REGION).cast(pl.String),
                pl.col(INDUSTRY).cast(pl.String),
                value,
                pl.col("firms").cast(pl.Int64),
            ).sort(REGION, INDUSTRY),
            industries.select(
                pl.col(INDUSTRY).cast(pl.String),
                pl.col("firms").cast(pl.Int64),
                value.alias("total"),
                _ratio(squares, total * total).alias("herfindahl"),
            ).sort(INDUSTRY),
        )


def reduce(
    register: Register,
    *,
    year: int | None = None,
    level: Level = "division",
    measure: Measure = "revenue",
    definitions: ClusterDefinitions | None = None,
) -> Reduced:
    """The embedded engine's :class:`Reduced` of a register (firms placed as in
    :func:`firm_table`)."""
    frame, industry = _placed(register, level, definitions)
    units, scale = measure_units(measure)
    wide = pl.col("units").cast(pl.Int128)
    if level == "cluster":
        firms = (
            frame.lazy()
            .filter(pl.col("year") == chosen_year(register, year))
            .select(pl.col("town").alias(REGION), industry.alias(INDUSTRY), units.alias("units"))
            .drop_nulls([REGION, INDUSTRY])
        )
        cells = firms.group_by(REGION, INDUSTRY).agg(pl.len().alias("firms"), pl.col("units").sum())
        industries = firms.group_by(INDUSTRY).agg(
            pl.len().alias("firms"), pl.col("units").sum(), (wide * wide).sum().alias("squares")
        )
    else:
        # Sums per town × full code first (the register's own strings: a few hundred codes),
        # then per code prefix over those few groups: exact integer sums, so the same as
        # grouping every firm by its prefix, and much faster than hashing millions of prefixes.
        prefix = code_prefix(pl.col(_CODE), _DIGITS[level])
        firms = (
            frame.lazy()
            .filter(pl.col("year") == chosen_year(register, year))
            .select(
                pl.col("town").alias(REGION),
                pl.col("industry_code").alias(_CODE),
                units.alias("units"),
            )
            .drop_nulls([REGION])
        )
        by_code = firms.group_by(REGION, _CODE).agg(pl.len().alias("firms"), pl.col("units").sum())
        cells = (
            by_code.with_columns(prefix.alias(INDUSTRY))
            .drop_nulls([INDUSTRY])
            .group_by(REGION, INDUSTRY)
            .agg(pl.col("firms").sum(), pl.col("units").sum())
        )
        industries = (
            firms.group_by(_CODE)
            .agg(
                pl.len().alias("firms"), pl.col("units").sum(), (wide * wide).sum().alias("squares")
            )
            .with_columns(prefix.alias(INDUSTRY))
            .drop_nulls([INDUSTRY])
            .group_by(INDUSTRY)
            .agg(pl.col("firms").sum(), pl.col("units").sum(), pl.col("squares").sum())
        )
    cells_frame, industries_frame = pl.collect_all([cells, industries])
    return Reduced.from_units(cells_frame, industries_frame, scale)


_CODE = "_code"


def _placed(
    register: Register, level: Level, definitions: ClusterDefinitions | None
) -> tuple[pl.DataFrame, pl.Expr]:
    """The register's frame and the expression of each firm's industry at ``level``."""
    if level == "cluster":
        return with_clusters(register, definitions), pl.col(CLUSTER)
    if "industry_code" not in register.present:
        raise NoIndustryCodes(register.source, level)
    digits = _DIGITS[level]
    return register.frame, code_prefix(pl.col("industry_code"), digits)


def code_prefix(code: pl.Expr, digits: int) -> pl.Expr:
    """The first ``digits`` digits of a GB/T 4754 code; null when the code is shorter."""
    return pl.when(code.str.len_chars() >= digits).then(code.str.slice(0, digits))


def activity_table(
    register: Register,
    *,
    year: int | None = None,
    level: Level = "division",
    measure: Measure = "revenue",
    definitions: ClusterDefinitions | None = None,
) -> pl.DataFrame:
    """x_ri: the :func:`firm_table` summed per region × industry, sorted by both."""
    firms = firm_table(register, year=year, level=level, measure=measure, definitions=definitions)
    return aggregate(firms)


def aggregate(table: pl.DataFrame) -> pl.DataFrame:
    """One row per region × industry: values summed (nulls as 0), sorted by region, industry.

    A stable sort, then numpy's ``add.reduceat`` over each run of equal keys: every sum adds
    the rows in the table's order, so the result is the same float in every run (polars'
    group-by sum is not), and a table that is already one row per pair costs a sort only."""
    x = table.select(
        pl.col(REGION), pl.col(INDUSTRY), pl.col(VALUE).cast(pl.Float64).fill_null(0.0)
    ).sort(REGION, INDUSTRY, maintain_order=True)
    if x.height == 0:
        return x
    first = x.select(
        (pl.col(REGION).ne_missing(pl.col(REGION).shift()))
        | (pl.col(INDUSTRY).ne_missing(pl.col(INDUSTRY).shift()))
    ).to_series()
    starts = np.flatnonzero(first.to_numpy())
    if starts.size == x.height:
        return x
    sums = np.add.reduceat(x[VALUE].to_numpy(), starts)
    return x[starts].select(REGION, INDUSTRY).with_columns(pl.Series(VALUE, sums))


def _fsum(values: pl.Expr) -> pl.Expr:
    """Σ of floats, added in the rows' order. Float addition is not associative, and polars'
    ``sum`` in a group-by adds partial sums in an order that changes from run to run (the last
    bits of an HHI did); the sum of the group's list adds in the order of its rows, which
    polars keeps within a group (the frames summed here are sorted by their keys, or in the
    firms' order). Sums over the dense matrix are numpy's, along an axis: one order too."""
    return values.implode().list.sum()


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den, null where den is zero."""
    return pl.when(den != 0).then(num / den)


@dataclass(frozen=True)
class _Shares:
    """The dense key × other matrix of one ``of``: ``keys`` (sorted industries or regions
    described), ``s`` their shares in each other key (s_ri or σ_ri; NaN in a key of zero
    total), ``ref`` the reference share of each other key (x_r or σ_i), ``total`` each key's
    activity and ``defined`` where it is not zero. numpy sums along an axis add in one
    order, so every figure is the same float in every run."""

    keys: pl.Series
    s: F64
    ref: F64
    total: F64
    defined: NDArray[np.bool_]

    def keyed(self, of: Of, **columns: F64) -> pl.DataFrame:
        """One row per key: the key and the columns, null where the key is undefined."""
        frame = pl.DataFrame({of: self.keys})
        return frame.with_columns(
            pl.Series(name, np.where(self.defined, value, np.nan)).fill_nan(None)
            for name, value in columns.items()
        )


def _shares(table: pl.DataFrame, of: Of) -> _Shares:
    """The shares of :class:`_Shares` from a long table (numpy over the dense matrix)."""
    if of not in ("industry", "region"):
        raise ValueError(f"of must be 'industry' or 'region', not {of!r}")
    regions, industries, mat = _matrix(table)
    keys, m = (industries, np.ascontiguousarray(mat.T)) if of == "industry" else (regions, mat)
    total = m.sum(axis=1)
    grand = total.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        s = m / total[:, None]
        ref = m.sum(axis=0) / grand if grand != 0 else np.full(m.shape[1], np.nan)
    return _Shares(keys, s, ref, total, total != 0)


# --------------------------------------------------------------------------------------------
# Location quotients, concentration, specialisation
# --------------------------------------------------------------------------------------------


def location_quotients(table: pl.DataFrame) -> pl.DataFrame:
    """Location quotient LQ_ri = (x_ri / x_r·) / (x_·i / x··) = σ_ri / σ_i
    (EconGeo ``location_quotient``, REAT ``locq``; Balassa's RCA in trade).

    One row per region × industry of the (aggregated) table, with ``region_share`` = σ_ri (the
    industry's share of the region's activity), ``industry_share`` = s_ri (the region's share of
    the industry) and ``lq``. The activity-weighted mean of the LQs is 1 in every region
    (Σ_i σ_i LQ_ri = 1) and in every industry (Σ_r x_r LQ_ri = 1).
    """
    x = aggregate(table).lazy()
    return (
        x.with_columns(
            _fsum(pl.col(VALUE)).over(REGION).alias("_rt"),
            _fsum(pl.col(VALUE)).over(INDUSTRY).alias("_it"),
            _fsum(pl.col(VALUE)).alias("_t"),
        )
        .with_columns(
            _ratio(pl.col(VALUE), pl.col("_rt")).alias("region_share"),
            _ratio(pl.col(VALUE), pl.col("_it")).alias("industry_share"),
        )
        .with_columns(
            _ratio(pl.col("region_share"), _ratio(pl.col("_it"), pl.col("_t"))).alias("lq")
        )
        .drop("_rt", "_it", "_t")
        .collect()
    )


def hhi(table: pl.DataFrame, of: Of = "industry") -> pl.DataFrame:
    """Herfindahl–Hirschman index and effective number.

    ``of="industry"``: HHI_i = Σ_r s_ri², the concentration of industry i across regions;
    ``of="region"``: HHI_r = Σ_i σ_ri², the concentration of region r across industries
    (1 − HHI_r is the Gibbs–Martin diversity). ``effective_number`` = 1 / HHI: the number of
    equal regions (industries) that would give the same HHI (Adelman 1969; REAT ``herf``,
    EconGeo ``herfindahl``). Equal shares over n give HHI = 1/n, effective number n.
    Columns: the key, ``total``, ``hhi``, ``effective_number``.
    """
    sh = _shares(table, of)
    h = (sh.s**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        effective = np.where(h != 0, 1.0 / h, np.nan)
    out = sh.keyed(of, hhi=h, effective_number=effective)
    return out.insert_column(1, pl.Series("total", sh.total))


def concentration_ratio(table: pl.DataFrame, n: int = 3, of: Of = "industry") -> pl.DataFrame:
    """Concentration ratio CR_n: the summed shares of the n largest regions of an industry
    (``of="industry"``: Σ of the n largest s_ri) or of the n largest industries of a region
    (``of="region"``) (Bain 1951; REAT ``conc``). CR_n of k ≤ n keys is 1.
    Columns: the key, ``cr``.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    sh = _shares(table, of)
    top = np.sort(sh.s, axis=1)[:, ::-1][:, :n]
    return sh.keyed(of, cr=top.sum(axis=1))


def krugman(table: pl.DataFrame) -> pl.DataFrame:
    """Krugman specialisation index of each region K_r = Σ_i |σ_ri − σ_i| (Krugman 1991;
    EconGeo ``krugman_index``): the distance between the region's industry mix and the whole
    table's, 0 (same mix) to 2 (no industry in common). Columns: ``region``, ``krugman``.
    """
    sh = _shares(table, "region")
    return sh.keyed("region", krugman=np.abs(sh.s - sh.ref[None, :]).sum(axis=1))


def hoover(table: pl.DataFrame, of: Of = "industry") -> pl.DataFrame:
    """Hoover index, the coefficient of localisation (Hoover 1936; REAT ``hoover``):
    ``of="industry"``: ½ Σ_r |s_ri − x_r|, the share of the industry that would have to move
    for it to be spread like all activity (0 none, → 1 all in an otherwise empty region);
    ``of="region"``: ½ Σ_i |σ_ri − σ_i| (= K_r / 2, the coefficient of specialisation).
    Columns: the key, ``hoover``.
    """
    sh = _shares(table, of)
    return sh.keyed(of, hoover=0.5 * np.abs(sh.s - sh.ref[None, :]).sum(axis=1))


def theil(table: pl.DataFrame, of: Of = "industry") -> pl.DataFrame:
    """Theil entropy index relative to activity (Theil 1967; the relative entropy of
    Brülhart & Traeger 2005, "Theil index of localisation"):
    ``of="industry"``: T_i = Σ_r s_ri ln(s_ri / x_r) = Σ_r s_ri ln LQ_ri;
    ``of="region"``: T_r = Σ_i σ_ri ln(σ_ri / σ_i). 0 ln 0 = 0; T = 0 when the key is spread
    exactly like all activity, larger when localised (specialised).
    REAT ``theil`` is the absolute version, Σ s ln(n s), which compares with equal shares
    instead of with activity. Columns: the key, ``theil``.
    """
    sh = _shares(table, of)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(sh.s > 0, sh.s * np.log(sh.s / sh.ref[None, :]), 0.0)
    return sh.keyed(of, theil=term.sum(axis=1))


def locational_gini(table: pl.DataFrame, of: Of = "industry") -> pl.DataFrame:
    """Locational Gini coefficient (Krugman 1991, ch. 2; EconGeo ``locational_gini``).

    ``of="industry"``: sort the regions by LQ_ri ascending and draw the Lorenz curve of the
    cumulative industry share S_k = Σ_{j≤k} s_ri against the cumulative share of all activity
    X_k = Σ_{j≤k} x_r; G_i = 1 − Σ_k x_k (S_k + S_{k−1}), twice the area between the curve and
    the diagonal: 0 when the industry is spread like all activity, → 1 when it sits in one
    small region. ``of="region"``: the same over industries with σ (specialisation Gini,
    REAT ``gini.spec``-like with activity as the reference).
    EconGeo reports the area itself (theoretical maximum 0.5), i.e. G / 2.
    Columns: the key, ``gini``.
    """
    sh = _shares(table, of)
    ref = np.broadcast_to(sh.ref, sh.s.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = np.nan_to_num(np.where(ref != 0, sh.s / ref, 0.0), nan=0.0, posinf=0.0)
    order = np.lexsort((ref, np.nan_to_num(sh.s), lq), axis=1)  # by LQ, ties in one order
    s = np.take_along_axis(sh.s, order, axis=1)
    x = np.take_along_axis(ref, order, axis=1)
    cumulative = np.cumsum(s, axis=1)
    return sh.keyed(of, gini=1.0 - (x * (2.0 * cumulative - s)).sum(axis=1))


# --------------------------------------------------------------------------------------------
# Ellison–Glaeser and Maurel–Sédillot
# --------------------------------------------------------------------------------------------


def agglomeration(firms: pl.DataFrame, reference: pl.DataFrame | None = None) -> pl.DataFrame:
    """Ellison–Glaeser and Maurel–Sédillot agglomeration indices of each industry.

    ``firms`` has one row per firm (plant): ``region``, ``industry``, ``value``. ``reference``
    (``region``, ``value``) gives the regions' total activity x_r· when it is not the firms'
    own (e.g. all employment of the region, as REAT's ``e_j``); by default x_r comes from the
    firms of every industry. With z_k = firm k's share of its industry:

    * H_i = Σ_k z_k², the Herfindahl index of the industry's firms (``herfindahl``);
    * G_i = Σ_r (s_ri − x_r)², raw geographic concentration (``g``);
    * Ellison & Glaeser (1997), REAT ``ellison.a``:
      γ_EG = [G_i − (1 − Σ_r x_r²) H_i] / [(1 − Σ_r x_r²)(1 − H_i)]  (``eg``);
    * Maurel & Sédillot (1999):
      γ_MS = [Σ_r s_ri² − Σ_r x_r² − H_i (1 − Σ_r x_r²)] / [(1 − Σ_r x_r²)(1 − H_i)]  (``ms``).

    Both are 0 in expectation when firms locate like darts thrown at a board weighted by x_r,
    positive when the industry is agglomerated beyond what its firm sizes explain, negative
    when dispersed. They are undefined (null) for an industry of one firm (H_i = 1).
    Columns: ``industry``, ``firms``, ``total``, ``herfindahl``, ``g``, ``eg``, ``ms``.
    """
    fl = firms.lazy().select(REGION, INDUSTRY, pl.col(VALUE).cast(pl.Float64).fill_null(0.0))
    per_industry = fl.group_by(INDUSTRY).agg(
        pl.len().alias("firms"),
        _fsum(pl.col(VALUE)).alias("total"),
        _ratio(_fsum(pl.col(VALUE) ** 2), _fsum(pl.col(VALUE)) ** 2).alias("herfindahl"),
    )
    x = fl.group_by(REGION, INDUSTRY).agg(_fsum(pl.col(VALUE)))
    return _agglomeration(per_industry, x, reference)


def agglomeration_of(reduced: Reduced) -> pl.DataFrame:
    """:func:`agglomeration` of the firms a :class:`Reduced` was computed from."""
    return _agglomeration(reduced.industries.lazy(), reduced.cells.lazy().drop("firms"), None)


def _agglomeration(
    per_industry: pl.LazyFrame, x: pl.LazyFrame, reference: pl.DataFrame | None
) -> pl.DataFrame:
    """EG and MS from each industry's firms, total and H_i and the activity x_ri (numpy over
    the dense region × industry matrix: sums in one order, the same floats in every run)."""
    per = per_industry.sort(INDUSTRY).collect()
    regions, industries, mat = _matrix(x.collect())
    if reference is None:
        region_total = mat.sum(axis=1)
    else:
        totals = (
            reference.lazy()
            .group_by(REGION)
            .agg(_fsum(pl.col(VALUE).cast(pl.Float64)).alias("_xr"))
            .sort(REGION)
            .collect()
        )
        position = {r: k for k, r in enumerate(totals[REGION].to_list())}
        missing = [r for r in regions.to_list() if r not in position]
        if missing:
            raise ValueError(f"reference has no total for regions {missing}")
        full = np.zeros((totals.height, mat.shape[1]))
        full[[position[r] for r in regions.to_list()]] = mat
        mat, region_total = full, totals["_xr"].to_numpy()
    if industries.to_list() != per[INDUSTRY].to_list():
        raise ValueError("the firms' industries and the activity table's differ")
    xr = region_total / region_total.sum()
    sum_x2 = float((xr**2).sum())
    total = per["total"].cast(pl.Float64).to_numpy()
    h = per["herfindahl"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        s = mat / total[None, :]
        g = ((s - xr[:, None]) ** 2).sum(axis=0)
        ss2 = (s**2).sum(axis=0)
        den = (1.0 - sum_x2) * (1.0 - h)
        eg = np.where(den != 0, (g - (1.0 - sum_x2) * h) / den, np.nan)
        ms = np.where(den != 0, (ss2 - sum_x2 - h * (1.0 - sum_x2)) / den, np.nan)
    defined = total != 0

    def column(name: str, values: F64) -> pl.Series:
        return pl.Series(name, np.where(defined, values, np.nan)).fill_nan(None)

    return per.select(INDUSTRY, "firms", "total", "herfindahl").with_columns(
        column("g", g), column("eg", eg), column("ms", ms)
    )


# --------------------------------------------------------------------------------------------
# Relatedness
# --------------------------------------------------------------------------------------------


def proximity_matrix(mcp: F64) -> F64:
    """Proximity φ_ij = Σ_r M_ri M_rj / max(k_i, k_j), k_i = Σ_r M_ri (Hidalgo, Klinger,
    Barabási & Hausmann 2007): the smaller of the two conditional probabilities that a region
    specialised in one industry is specialised in the other. φ_ii = 1 for a present industry;
    pairs involving an absent industry (k = 0) get 0. ``mcp``: regions × industries, 0/1.
    """
    k = mcp.sum(axis=0)
    binary = mcp.astype(np.float32)  # counts below 2**24 are exact in float32, and it is faster
    co: F64 = (binary.T @ binary).astype(np.float64)
    big = np.maximum.outer(k, k)
    if k.all():
        co /= big  # C_ij / max(k_i, k_j): the same float as min(C_ij / k_j, C_ij / k_i)
        return co
    out: F64 = np.divide(co, big, out=np.zeros_like(co), where=big > 0)
    return out


def density_matrix(mcp: F64, phi: F64, *, self_proximity: bool = False) -> F64:
    """Relatedness density ω_ri = Σ_j M_rj φ_ij / Σ_j φ_ij (Hidalgo et al. 2007): the share of
    industry i's related industries (weighted by proximity) in which region r is specialised.

    By default j runs over the other industries (j ≠ i: φ_ii is set to 0), as in the Growth
    Lab's Stata ``ecomplexity`` (``proxdiscrete.ado`` subtracts the identity) and EconGeo's
    ``relatedness_density`` (which reports percent, 100 ω). ``self_proximity=True`` keeps
    φ_ii = 1, as the Python ``ecomplexity`` 0.5 does: a region's own specialisation in i then
    adds to ω_ri. An industry with no related industry (Σ_j φ_ij = 0) has density 0.
    """
    weight = phi.sum(axis=1)
    num: F64 = mcp @ phi
    if not self_proximity:  # take φ_ii M_ri out of the sums instead of copying φ
        diagonal = np.diagonal(phi)
        weight = weight - diagonal
        num -= mcp * diagonal[None, :]
    if weight.all():
        num /= weight[None, :]
        return num
    out: F64 = np.divide(num, weight[None, :], out=np.zeros_like(num), where=weight[None, :] > 0)
    return out


def _matrix(table: pl.DataFrame) -> tuple[pl.Series, pl.Series, F64]:
    """Sorted regions, sorted industries and the dense matrix x_ri (numpy scatter)."""
    x = aggregate(table)
    regions = x[REGION].unique().sort()
    industries = x[INDUSTRY].unique().sort()
    idx = x.select(
        (pl.col(REGION).rank("dense") - 1).alias("r"),
        (pl.col(INDUSTRY).rank("dense") - 1).alias("i"),
    )
    mat = np.zeros((regions.len(), industries.len()))
    mat[idx["r"].to_numpy(), idx["i"].to_numpy()] = x[VALUE].to_numpy()
    return regions, industries, mat


def specialisation_matrix(values: F64, threshold: float = 1.0) -> F64:
    """M_ri = [LQ_ri ≥ threshold] as 0/1 floats; a region or industry with no activity has
    no specialisation (its LQ is undefined)."""
    rt = values.sum(axis=1, keepdims=True)
    it = values.sum(axis=0, keepdims=True)
    total = values.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (values / rt) / (it / total)
    return np.where(np.nan_to_num(lq) >= threshold, 1.0, 0.0)


def proximity(table: pl.DataFrame, threshold: float = 1.0) -> pl.DataFrame:
    """Proximity of every ordered pair of distinct industries, from co-specialisation of
    regions (M = [LQ ≥ threshold]; see :func:`proximity_matrix`).
    Columns: ``industry``, ``other``, ``proximity`` (symmetric: both orders are listed).
    """
    _, industries, values = _matrix(table)
    phi = proximity_matrix(specialisation_matrix(values, threshold))
    n = industries.len()
    i, j = np.divmod(np.arange(n * n), n)
    keep = i != j
    return pl.DataFrame(
        {
            INDUSTRY: industries.gather(i[keep]),
            "other": industries.gather(j[keep]),
            "proximity": phi.ravel()[keep],
        }
    )


def relatedness_density(
    table: pl.DataFrame, threshold: float = 1.0, *, self_proximity: bool = False
) -> pl.DataFrame:
    """Relatedness density of every region in every industry (see :func:`density_matrix`):
    how much of what is related to industry i the region already specialises in — the
    industries it is closest to entering are those with M_ri = 0 and the highest density.
    Columns: ``region``, ``industry``, ``mcp`` (0/1), ``density`` (0–1).
    """
    regions, industries, values = _matrix(table)
    mcp = specialisation_matrix(values, threshold)
    density = density_matrix(mcp, proximity_matrix(mcp), self_proximity=self_proximity)
    n_r, n_i = values.shape
    r, i = np.divmod(np.arange(n_r * n_i), n_i)
    return pl.DataFrame(
        {
            REGION: regions.gather(r),
            INDUSTRY: industries.gather(i),
            "mcp": pl.Series(mcp.ravel(), dtype=pl.Float64).cast(pl.Int8),
            "density": density.ravel(),
        }
    )
