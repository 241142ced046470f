"""Economic complexity: a hand-worked panel, agreement with ecomplexity 0.5.x, each documented
difference from it, and properties (ECI is the mean PCI of a location's products)."""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiqun.observatory.complexity import OUTPUTS, PanelProblem, complexity

COLS = {"time": "time", "loc": "loc", "prod": "prod", "val": "val"}
KEYS = ["time", "loc", "prod"]


def ecomplexity(panel: pl.DataFrame, **options: Any) -> pl.DataFrame:
    """The Growth Lab's package on the same panel, its warnings and prints silenced."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        from ecomplexity import ecomplexity as reference

        out = reference(
            panel.to_pandas(),
            COLS,
            check_logsupermodularity=False,
            verbose=False,
            **options,
        )
    return pl.from_pandas(out, nan_to_null=False)


def rows(data: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(data, schema=["time", "loc", "prod", "val"], orient="row")


def random_panel(
    seed: int, locs: int, prods: int, years: int = 1, fill: float = 0.7
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    t, c, p = np.meshgrid(np.arange(years), np.arange(locs), np.arange(prods), indexing="ij")
    value = rng.lognormal(0.0, 2.0, t.size) * (rng.random(t.size) < fill)
    panel = pl.DataFrame(
        {
            "time": t.ravel() + 2020,
            "loc": [f"L{i:03d}" for i in c.ravel()],
            "prod": [f"P{i:04d}" for i in p.ravel()],
            "val": value,
        }
    )
    return panel.filter(pl.col("val") > 0)


def joined(ours: pl.DataFrame, theirs: pl.DataFrame) -> pl.DataFrame:
    return ours.join(theirs, on=KEYS, suffix="_ec")


def max_diff(frame: pl.DataFrame, column: str) -> float:
    return float((frame[column] - frame[f"{column}_ec"]).abs().max())  # type: ignore[arg-type]


# --- a panel worked out by hand -----------------------------------------------------------


def test_nested_panel_by_hand() -> None:
    """Locations a ⊃ b ⊃ c in products (a: x y z, b: x y, c: x) at an RCA threshold of 0.8.

    Totals: a 11, b 5, c 2, all 18; x 11, y 5, z 2. RCA_ax = (6/11)/(11/18) = 0.89,
    RCA_ay = (3/11)/(5/18) = 0.98, RCA_az = (2/11)/(2/18) = 1.64; RCA_bx = (3/5)/(11/18) = 0.98,
    RCA_by = (2/5)/(5/18) = 1.44; RCA_cx = 1/(11/18) = 1.64: M is nested, k_c = k_p = (3, 2, 1).
    M̃ = D⁻¹ M U⁻¹ Mᵀ = [[11/18, 5/18, 2/18], [5/12, 5/12, 2/12], [1/3, 1/3, 1/3]]: trace 49/36,
    det = det(M)² / (3!·3!) = 1/36, so the eigenvalues besides 1 solve λ² − 13/36 λ + 1/36 = 0:
    λ₂ = 1/4, λ₃ = 1/9. (M̃ − I/4) v = 0 gives v ∝ (2, −1, −4) (signed so it rises with
    diversity): mean −1, s.d. √6, ECI = (3, 0, −3)/√6. kp = U⁻¹ Mᵀ kc / λ₂ = (−4, 2, 8), and
    PCI = (kp + 1)/√6 = (−3, 3, 9)/√6.
    """
    panel = rows(
        [
            (1, "a", "x", 6.0),
            (1, "a", "y", 3.0),
            (1, "a", "z", 2.0),
            (1, "b", "x", 3.0),
            (1, "b", "y", 2.0),
            (1, "c", "x", 2.0),
        ]
    )
    out = complexity(panel, rca_threshold=0.8)
    assert out["mcp"].to_list() == [1, 1, 1, 1, 1, 0, 1, 0, 0]
    by_loc = out.group_by("loc").agg(pl.col("eci", "diversity").first()).sort("loc")
    by_prod = out.group_by("prod").agg(pl.col("pci", "ubiquity").first()).sort("prod")
    r6 = math.sqrt(6)
    assert by_loc["diversity"].to_list() == [3, 2, 1]
    assert by_prod["ubiquity"].to_list() == [3, 2, 1]
    assert by_loc["eci"].to_list() == pytest.approx([3 / r6, 0.0, -3 / r6], abs=1e-12)
    assert by_prod["pci"].to_list() == pytest.approx([-3 / r6, 3 / r6, 9 / r6], abs=1e-12)
    assert out.filter(loc="a", prod="x")["rca"].item() == pytest.approx((6 / 11) / (11 / 18))


# --- agreement with ecomplexity 0.5.x -----------------------------------------------------

SHAPES = [
    (0, 12, 30, 1, 0.7),
    (1, 30, 12, 1, 0.7),  # more locations than products: the product-side eigensolve
    (2, 20, 20, 3, 0.5),
    (3, 8, 60, 2, 0.3),
    (4, 40, 9, 2, 0.9),
    (5, 25, 50, 1, 1.0),
]


@pytest.mark.parametrize(("seed", "locs", "prods", "years", "fill"), SHAPES)
def test_agrees_with_ecomplexity(seed: int, locs: int, prods: int, years: int, fill: float) -> None:
    panel = random_panel(seed, locs, prods, years, fill)
    theirs = ecomplexity(panel)
    ours = complexity(panel, self_proximity=True)
    both = joined(ours, theirs)
    assert both.height == ours.height == theirs.height
    for column in ("rca", "mcp", "diversity", "ubiquity"):
        assert max_diff(both, column) == 0.0, column
    for column in ("eci", "pci", "density", "coi", "cog"):
        assert max_diff(both, column) <= 1e-9, column
    assert ours.null_count().select(OUTPUTS).sum_horizontal().item() == 0


def test_default_differs_only_in_self_proximity() -> None:
    """Without self-proximity, ECI and everything before it agree; density, COI and COG move."""
    panel = random_panel(7, 15, 40, 1, 0.6)
    both = joined(complexity(panel), ecomplexity(panel))
    for column in ("rca", "mcp", "diversity", "ubiquity", "eci", "pci"):
        assert max_diff(both, column) <= 1e-9, column
    for column in ("density", "coi", "cog"):
        assert max_diff(both, column) > 1e-3, column


# --- each documented difference -----------------------------------------------------------


def cospecialised() -> pl.DataFrame:
    """Four locations, two equal products each (RCA = 4 / ubiquity ≥ 1, so M is the pattern):
    r1 {a, b}, r2 {a, b}, r3 {b, c}, r4 {a, c}; k = (3, 3, 2). φ_ab = 2/3, φ_ac = φ_bc = 1/3."""
    pattern = {"r1": "ab", "r2": "ab", "r3": "bc", "r4": "ac"}
    return rows([(1, r, p, 1.0) for r, ps in pattern.items() for p in ps])


def test_difference_1_self_proximity_by_hand() -> None:
    """ω_r1,a: other products only: M_b φ_ab / (φ_ab + φ_ac) = (2/3) / 1 = 2/3; with φ_aa = 1
    (ecomplexity): (1 + 2/3) / (1 + 1) = 5/6. ω_r3,b: (1/3)/1 vs (1 + 1/3)/2 = 2/3.
    ω_r1,c (not present): (1/3 + 1/3)/(2/3) = 1 vs (2/3)/(1 + 2/3) = 2/5."""
    panel = cospecialised()
    ours = complexity(panel)
    theirs = ecomplexity(panel)
    compat = complexity(panel, self_proximity=True)

    def density(frame: pl.DataFrame, loc: str, prod: str) -> float:
        return float(frame.filter(loc=loc, prod=prod)["density"].item())

    assert density(ours, "r1", "a") == pytest.approx(2 / 3)
    assert density(ours, "r3", "b") == pytest.approx(1 / 3)
    assert density(ours, "r1", "c") == pytest.approx(1.0)
    for frame in (theirs, compat):
        assert density(frame, "r1", "a") == pytest.approx(5 / 6)
        assert density(frame, "r3", "b") == pytest.approx(2 / 3)
        assert density(frame, "r1", "c") == pytest.approx(2 / 5)


def test_difference_2_missing_values_count_as_zero() -> None:
    panel = random_panel(11, 10, 20).with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("val")).alias("val")
    )
    hole = panel.row(3, named=True)
    ours = complexity(panel, self_proximity=True)
    theirs = ecomplexity(panel)
    cell = {"loc": hole["loc"], "prod": hole["prod"]}
    assert ours.filter(**cell)["rca"].item() == 0.0
    assert math.isnan(theirs.filter(**cell)["rca"].item())  # its fillna(inplace) is a no-op
    # The same as the panel with a zero there; ecomplexity agrees everywhere else.
    zero = complexity(panel.with_columns(pl.col("val").fill_null(0.0)), self_proximity=True)
    assert zero.equals(ours)
    both = joined(ours, theirs)
    assert max_diff(both, "eci") <= 1e-9


def test_difference_3_duplicates_are_summed() -> None:
    panel = rows([(1, "a", "x", 1.0), (1, "a", "y", 3.0), (1, "b", "x", 2.0), (1, "b", "y", 1.0)])
    doubled = pl.concat([panel, rows([(1, "a", "x", 4.0)])])
    ours = complexity(doubled)
    assert ours.filter(loc="a", prod="x")["val"].item() == 5.0
    theirs = ecomplexity(doubled)
    assert 1.0 in theirs.filter(loc="a", prod="x")["val"].to_list()  # it kept the first


def test_difference_4_negative_or_infinite_values_are_rejected() -> None:
    for bad in (-1.0, math.inf):
        panel = rows([(1, "a", "x", 1.0), (1, "a", "y", bad), (1, "b", "x", 2.0)])
        with pytest.raises(PanelProblem) as caught:
            complexity(panel)
        assert caught.value.count == 1


def test_difference_5_zero_diversity_spoils_only_its_location() -> None:
    """At threshold 1.5, location e (spread like the whole panel, RCA ≈ 1 everywhere) has
    diversity 0: ecomplexity loses the whole period, we lose e only."""
    base = random_panel(3, 12, 25, 1, 0.8)
    totals = base.group_by("prod").agg(pl.col("val").sum())
    spread = totals.select(
        pl.lit(2020).alias("time"), pl.lit("L999").alias("loc"), "prod", pl.col("val") / 10
    )
    panel = pl.concat([base, spread.cast(base.schema)])  # type: ignore[arg-type]
    ours = complexity(panel, rca_threshold=1.5, self_proximity=True)
    theirs = ecomplexity(panel, rca_mcp_threshold=1.5)
    e = ours.filter(loc="L999")
    assert e["diversity"].unique().to_list() == [0]
    assert e["eci"].null_count() == e.height
    assert theirs["eci"].is_nan().all()
    rest = ours.filter(pl.col("loc") != "L999")
    assert rest["eci"].null_count() == 0
    assert rest.group_by("loc").agg(pl.col("eci").first())["eci"].std(ddof=0) == pytest.approx(1)


def test_difference_6_disconnected_network_has_no_eci() -> None:
    """{a, b} × {x, y} and {c} × {z}, {d} × {w} share no product: λ₂ = λ₁ = 1."""
    panel = rows(
        [
            (1, "a", "x", 3.0),
            (1, "a", "y", 1.0),
            (1, "b", "x", 1.0),
            (1, "b", "y", 2.0),
            (1, "c", "z", 5.0),
            (1, "c", "w", 1.0),
            (1, "d", "z", 1.0),
            (1, "d", "w", 4.0),
        ]
    )
    ours = complexity(panel)
    assert ours.select(pl.col("eci", "pci", "coi", "cog").null_count()).row(0) == (16,) * 4
    assert ours["density"].null_count() == 0
    theirs = ecomplexity(panel)
    assert not theirs["eci"].is_nan().any()  # an arbitrary vector of the degenerate eigenspace


def test_difference_7_constant_diversity_falls_back_to_ubiquity() -> None:
    """Every location has two products (a {x, y}, b {x, z}, c {x, w}, d {y, z}): ecomplexity's
    sign rule divides by a zero s.d.; we sign PCI against ubiquity (x 3, y 2, z 2, w 1)."""
    pattern = {"a": "xy", "b": "xz", "c": "xw", "d": "yz"}
    panel = rows([(1, r, p, 1.0) for r, ps in pattern.items() for p in ps])
    ours = complexity(panel)
    assert ours["diversity"].unique().to_list() == [2]
    pci = ours.group_by("prod").agg(pl.col("pci", "ubiquity").first())
    assert pci.select(pl.corr("pci", "ubiquity")).item() < 0
    assert ecomplexity(panel)["eci"].is_nan().all()


def test_difference_8_full_rectangle_with_nulls_for_zero_totals() -> None:
    base = random_panel(0, 12, 30, 1, 0.7)  # connected: see test_agrees_with_ecomplexity
    dead = rows([(2020, "L999", "P0000", 0.0), (2020, "L000", "P9999", 0.0)])
    out = complexity(pl.concat([base, dead.cast(base.schema)]))  # type: ignore[arg-type]
    assert out.height == 13 * 31

    def nulls(frame: pl.DataFrame, *columns: str) -> int:
        return int(frame.select(pl.col(*columns).null_count()).sum_horizontal().item())

    gone = out.filter((pl.col("loc") == "L999") | (pl.col("prod") == "P9999"))
    assert gone.height == 13 + 31 - 1
    assert nulls(gone, "rca", "mcp", "density", "cog") == gone.height * 4
    assert nulls(out.filter(loc="L999"), "diversity", "eci", "coi") == 31 * 3
    assert nulls(out.filter(prod="P9999"), "ubiquity", "pci") == 13 * 2
    alive = out.filter(pl.col("loc") != "L999", pl.col("prod") != "P9999")
    assert nulls(alive, *OUTPUTS) == 0
    alone = complexity(base)
    for name in OUTPUTS:  # the same up to rounding (SIMD sums depend on memory alignment)
        assert np.allclose(alive[name], alone[name], rtol=1e-12, atol=1e-12), name


# --- inputs ---------------------------------------------------------------------------------


def test_named_columns_and_types_are_kept() -> None:
    panel = random_panel(1, 6, 9, 2).rename(
        {"time": "year", "loc": "town", "prod": "code", "val": "revenue"}
    )
    out = complexity(panel, time="year", loc="town", prod="code", val="revenue")
    assert out.columns[:4] == ["year", "town", "code", "revenue"]
    assert out.schema["year"] == panel.schema["year"]
    assert out["year"].unique().sort().to_list() == [2020, 2021]
    assert out.schema["mcp"] == pl.Int8 and out.schema["diversity"] == pl.Int64


@pytest.mark.parametrize(
    ("panel", "key"),
    [
        (pl.DataFrame({"time": [1], "loc": ["a"], "val": [1.0]}), "missing_columns"),
        (pl.DataFrame({"time": [1], "loc": ["a"], "prod": ["x"], "val": ["1"]}), "not_numeric"),
        (pl.DataFrame({"time": [1], "loc": [None], "prod": ["x"], "val": [1.0]}), "empty_keys"),
    ],
)
def test_bad_panels(panel: pl.DataFrame, key: str) -> None:
    with pytest.raises(PanelProblem) as caught:
        complexity(panel)
    assert caught.value.key == key
    assert caught.value.lines("en")[0] and caught.value.lines("zh")[0]


def test_empty_panel() -> None:
    panel = pl.DataFrame(
        schema={"time": pl.Int64, "loc": pl.String, "prod": pl.String, "val": pl.Float64}
    )
    out = complexity(panel)
    assert out.height == 0
    assert out.columns == [*panel.columns, *OUTPUTS]


# --- properties -----------------------------------------------------------------------------


@st.composite
def matrices(draw: st.DrawFn, zeros: bool) -> list[tuple[int, int, float]]:
    """A full locations × products matrix of values (zeros: about half the cells empty):
    random sparse cells almost never give a connected network, so draw whole matrices."""
    n_c, n_p = draw(st.integers(3, 8)), draw(st.integers(3, 12))
    value = st.floats(0.5, 20.0)
    cell = st.one_of(st.just(0.0), value) if zeros else value
    values = draw(st.lists(cell, min_size=n_c * n_p, max_size=n_c * n_p))
    return [(i // n_p, i % n_p, v) for i, v in enumerate(values)]


def panel_of(data: list[tuple[int, int, float]]) -> pl.DataFrame:
    return rows([(1, f"L{c}", f"P{p}", v) for c, p, v in data])


@settings(max_examples=60, deadline=None)
@given(matrices(zeros=False))
def test_eci_is_the_mean_pci_of_a_locations_products(data: list[tuple[int, int, float]]) -> None:
    out = complexity(panel_of(data)).drop_nulls("eci")
    if out.height == 0:
        return
    per_loc = out.group_by("loc").agg(
        pl.col("eci").first(), pl.col("pci").filter(pl.col("mcp") == 1).mean().alias("mean_pci")
    )
    assert np.allclose(per_loc["eci"], per_loc["mean_pci"], atol=1e-8)
    assert per_loc["eci"].mean() == pytest.approx(0.0, abs=1e-9)
    assert per_loc["eci"].std(ddof=0) == pytest.approx(1.0)
    density = out["density"]
    assert float(density.min()) >= 0.0 and float(density.max()) <= 1.0 + 1e-12  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(matrices(zeros=True), st.sampled_from([2.0**-20, 0.25, 8.0, 2.0**30]))
def test_scale_and_relabelling_do_not_change_anything(
    data: list[tuple[int, int, float]], scale: float
) -> None:
    """Powers of two scale exactly, so an RCA of exactly 1 stays on its side of the line."""
    panel = panel_of(data)
    base = complexity(panel).drop("val")
    scaled = complexity(panel.with_columns(pl.col("val") * scale)).drop("val")
    renamed = (
        complexity(panel.with_columns(("z" + pl.col("loc")).alias("loc")))
        .drop("val")
        .with_columns(pl.col("loc").str.strip_prefix("z"))
        .sort(KEYS)
    )
    for other in (scaled, renamed):
        for column in ("mcp", "diversity", "ubiquity"):
            assert other[column].to_list() == base[column].to_list()
        for column in ("eci", "pci", "density", "coi", "cog"):
            a, b = base[column].to_numpy(), other[column].to_numpy()
            assert np.array_equal(np.isnan(a), np.isnan(b))
            assert np.allclose(a, b, atol=1e-7, equal_nan=True), column


def test_location_and_product_side_eigensolves_agree() -> None:
    """RCA is symmetric in locations and products, so the transposed panel's ECI ranks our
    products: it is a decreasing affine function of our PCI (sign: diversity ↔ ubiquity)."""
    panel = random_panel(21, 9, 23, 1, 0.6)  # 9 ≤ 23: location side
    flipped = panel.rename({"loc": "prod", "prod": "loc"})  # 23 > 9: product side
    pci = complexity(panel).group_by("prod").agg(pl.col("pci").first()).sort("prod")
    eci = complexity(flipped).group_by("loc").agg(pl.col("eci").first()).sort("loc")
    r = np.corrcoef(pci["pci"].to_numpy(), eci["eci"].to_numpy())[0, 1]
    assert r == pytest.approx(-1.0, abs=1e-12)
