"""Indicators against hand computations on tiny tables, a published Ellison–Glaeser example,
textbook identities as Hypothesis properties, and the tables built from a register."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiqun.observatory import indicators as ind
from jiqun.observatory.errors import FileProblem
from jiqun.observatory.register import Register
from jiqun.observatory.schema import COLUMNS

# A: x 10, y 30 | B: x 20, y 20 | C: y 20. Totals: A 40, B 40, C 20, x 30, y 70, all 100.
# x_r (region shares of all activity) = (2/5, 2/5, 1/5); σ_i (industry shares) = (3/10, 7/10).
TABLE = pl.DataFrame(
    {
        "region": ["A", "A", "B", "B", "C"],
        "industry": ["x", "y", "x", "y", "y"],
        "value": [10.0, 30.0, 20.0, 20.0, 20.0],
    }
)


def column(frame: pl.DataFrame, name: str) -> list[float]:
    return [float(v) for v in frame[name].to_list()]


def approx(values: list[F] | list[float]) -> object:
    return pytest.approx([float(v) for v in values], rel=1e-12, abs=1e-15)


def test_location_quotients_by_hand() -> None:
    # LQ = (x_ri / x_r) / (x_i / x): A,x (10/40)/(30/100) = 5/6; A,y (30/40)/(70/100) = 15/14;
    # B,x (20/40)/(30/100) = 5/3; B,y (20/40)/(70/100) = 5/7; C,y (20/20)/(70/100) = 10/7.
    out = ind.location_quotients(TABLE)
    assert column(out, "lq") == approx([F(5, 6), F(15, 14), F(5, 3), F(5, 7), F(10, 7)])
    assert column(out, "region_share") == approx([F(1, 4), F(3, 4), F(1, 2), F(1, 2), 1])
    assert column(out, "industry_share") == approx([F(1, 3), F(3, 7), F(2, 3), F(2, 7), F(2, 7)])


def test_hhi_and_effective_number_by_hand() -> None:
    # x over regions: (1/3, 2/3, 0) → 1/9 + 4/9 = 5/9; y: (3/7, 2/7, 2/7) → 17/49.
    out = ind.hhi(TABLE)
    assert out["industry"].to_list() == ["x", "y"]
    assert column(out, "total") == [30.0, 70.0]
    assert column(out, "hhi") == approx([F(5, 9), F(17, 49)])
    assert column(out, "effective_number") == approx([F(9, 5), F(49, 17)])
    # A over industries: (1/4, 3/4) → 5/8; B (1/2, 1/2) → 1/2; C (0, 1) → 1.
    out = ind.hhi(TABLE, of="region")
    assert column(out, "hhi") == approx([F(5, 8), F(1, 2), 1])
    assert column(out, "effective_number") == approx([F(8, 5), 2, 1])


def test_concentration_ratio_by_hand() -> None:
    assert column(ind.concentration_ratio(TABLE, 1), "cr") == approx([F(2, 3), F(3, 7)])
    assert column(ind.concentration_ratio(TABLE, 2), "cr") == approx([1, F(5, 7)])
    assert column(ind.concentration_ratio(TABLE, 5), "cr") == approx([1, 1])
    assert column(ind.concentration_ratio(TABLE, 1, of="region"), "cr") == approx(
        [F(3, 4), F(1, 2), 1]
    )
    with pytest.raises(ValueError):
        ind.concentration_ratio(TABLE, 0)


def test_krugman_and_hoover_by_hand() -> None:
    # K_A = |1/4 − 3/10| + |3/4 − 7/10| = 1/10; K_B = 2/10 + 2/10; K_C = 3/10 + 3/10.
    assert column(ind.krugman(TABLE), "krugman") == approx([F(1, 10), F(2, 5), F(3, 5)])
    # Hoover x: ½(|1/3 − 2/5| + |2/3 − 2/5| + |0 − 1/5|) = ½ · 8/15 = 4/15;
    # y: ½(|3/7 − 2/5| + |2/7 − 2/5| + |2/7 − 1/5|) = ½ · 8/35 = 4/35.
    assert column(ind.hoover(TABLE), "hoover") == approx([F(4, 15), F(4, 35)])
    # Hoover of a region is half its Krugman index.
    assert column(ind.hoover(TABLE, of="region"), "hoover") == approx([F(1, 20), F(1, 5), F(3, 10)])


def test_theil_by_hand() -> None:
    # T_x = 1/3 ln((1/3)/(2/5)) + 2/3 ln((2/3)/(2/5)) (C has no x: 0 ln 0 = 0).
    tx = (1 / 3) * math.log(5 / 6) + (2 / 3) * math.log(5 / 3)
    ty = (3 / 7) * math.log(15 / 14) + (2 / 7) * math.log(5 / 7) + (2 / 7) * math.log(10 / 7)
    assert column(ind.theil(TABLE), "theil") == approx([tx, ty])
    # Region C: σ = (0, 1) against (3/10, 7/10): ln(10/7).
    assert column(ind.theil(TABLE, of="region"), "theil")[2] == pytest.approx(math.log(10 / 7))


def test_locational_gini_by_hand() -> None:
    # x: regions by LQ: C (0), A (5/6), B (5/3); activity shares 1/5, 2/5, 2/5; cumulative x
    # shares 0, 1/3, 1. G = 1 − Σ x_k (S_k + S_{k−1}) = 1 − (0 + 2/5 · 1/3 + 2/5 · 4/3) = 1/3.
    # y: B (5/7), A (15/14), C (10/7); shares 2/5, 2/5, 1/5; cumulative 2/7, 5/7, 1:
    # G = 1 − (2/5 · 2/7 + 2/5 · 7/7 + 1/5 · 12/7) = 1/7.
    assert column(ind.locational_gini(TABLE), "gini") == approx([F(1, 3), F(1, 7)])


def test_zero_totals_give_nulls() -> None:
    table = pl.concat([TABLE, pl.DataFrame({"region": ["D"], "industry": ["z"], "value": [0.0]})])
    for frame, name in [
        (ind.hhi(table), "hhi"),
        (ind.hoover(table), "hoover"),
        (ind.theil(table), "theil"),
        (ind.locational_gini(table), "gini"),
        (ind.concentration_ratio(table), "cr"),
    ]:
        assert frame.filter(industry="z")[name].to_list() == [None], name
        assert frame.filter(industry="x")[name].null_count() == 0, name
    assert ind.krugman(table).filter(region="D")["krugman"].to_list() == [None]
    assert ind.location_quotients(table).filter(region="D")["lq"].to_list() == [None]


# --- Ellison–Glaeser and Maurel–Sédillot --------------------------------------------------


def test_ellison_glaeser_reproduces_reat_example() -> None:
    """REAT ``ellison.a`` documentation (example from Farhauer/Kroell 2014): ten firms of one
    industry in Wien, Linz and Graz, regions' total employment 500,000, 400,000 and 100,000:
    γ = 0.05990628."""
    firms = pl.DataFrame(
        {
            "region": ["Wien"] * 5 + ["Linz"] * 4 + ["Graz"],
            "industry": ["i"] * 10,
            "value": [200.0, 650, 12000, 100, 50, 16000, 13000, 1500, 1500, 25000],
        }
    )
    reference = pl.DataFrame(
        {"region": ["Wien", "Linz", "Graz"], "value": [500000.0, 400000.0, 100000.0]}
    )
    out = ind.agglomeration(firms, reference)
    assert out["eg"].item() == pytest.approx(0.05990628, abs=5e-9)
    assert out["firms"].item() == 10 and out["total"].item() == 70000.0


def test_ellison_glaeser_and_maurel_sedillot_by_hand() -> None:
    """Two industries in two regions. i: firms 30 and 10 in R, 10 in S; j: 50 in S.
    x_r = (40, 60)/100, Σx² = 0.52. For i: s = (4/5, 1/5), G = 0.16 + 0.16 = 0.32,
    H = (9 + 1 + 1)/25 = 11/25; γ_EG = (0.32 − 0.48 · 0.44) / (0.48 · 0.56) = 0.1088/0.2688;
    Σs² = 0.68, γ_MS = (0.68 − 0.52 − 0.44 · 0.48)/0.2688 = −0.0512/0.2688.
    j is a single firm: H = 1, both undefined."""
    firms = pl.DataFrame(
        {
            "region": ["R", "R", "S", "S"],
            "industry": ["i", "i", "i", "j"],
            "value": [30.0, 10.0, 10.0, 50.0],
        }
    )
    out = ind.agglomeration(firms)
    i = out.row(0, named=True)
    assert i["herfindahl"] == pytest.approx(11 / 25)
    assert i["g"] == pytest.approx(0.32)
    assert i["eg"] == pytest.approx(0.1088 / 0.2688)
    assert i["ms"] == pytest.approx(-0.0512 / 0.2688)
    j = out.row(1, named=True)
    assert j["herfindahl"] == 1.0 and j["eg"] is None and j["ms"] is None


def test_agglomeration_reference_must_cover_regions() -> None:
    firms = pl.DataFrame({"region": ["R", "S"], "industry": ["i", "i"], "value": [1.0, 2.0]})
    with pytest.raises(ValueError, match="S"):
        ind.agglomeration(firms, pl.DataFrame({"region": ["R"], "value": [5.0]}))


# --- relatedness ----------------------------------------------------------------------------

# Four regions with two equal industries each: RCA = 4 / k_i ≥ 1, so M is this pattern.
PATTERN = {"r1": "ab", "r2": "ab", "r3": "bc", "r4": "ac"}
RELATED = pl.DataFrame(
    [(r, i, 1.0) for r, industries in PATTERN.items() for i in industries],
    schema=["region", "industry", "value"],
    orient="row",
)


def test_proximity_by_hand() -> None:
    # k = (a 3, b 3, c 2); co-occurrences ab 2 (r1, r2), ac 1 (r4), bc 1 (r3):
    # φ_ab = 2/max(3, 3) = 2/3, φ_ac = 1/max(3, 2) = 1/3, φ_bc = 1/3.
    out = ind.proximity(RELATED)
    got = {(row["industry"], row["other"]): row["proximity"] for row in out.iter_rows(named=True)}
    assert got == pytest.approx(
        {
            ("a", "b"): 2 / 3,
            ("a", "c"): 1 / 3,
            ("b", "a"): 2 / 3,
            ("b", "c"): 1 / 3,
            ("c", "a"): 1 / 3,
            ("c", "b"): 1 / 3,
        }
    )


def test_relatedness_density_by_hand() -> None:
    # ω_r1,a = M_b φ_ab / (φ_ab + φ_ac) = (2/3)/1; ω_r3,b = M_c φ_bc / (φ_ba + φ_bc) = 1/3;
    # ω_r1,c = (φ_ca + φ_cb)/(φ_ca + φ_cb) = 1; ω_r4,b = (φ_ba + φ_bc)/1 = 1.
    out = ind.relatedness_density(RELATED)

    def density(frame: pl.DataFrame, region: str, industry: str) -> float:
        return float(frame.filter(region=region, industry=industry)["density"].item())

    assert out["mcp"].sum() == 8
    assert density(out, "r1", "a") == pytest.approx(2 / 3)
    assert density(out, "r3", "b") == pytest.approx(1 / 3)
    assert density(out, "r1", "c") == pytest.approx(1.0)
    assert density(out, "r4", "b") == pytest.approx(1.0)
    # With φ_ii = 1 (Python ecomplexity): ω_r1,a = (1 + 2/3)/(1 + 1).
    with_self = ind.relatedness_density(RELATED, self_proximity=True)
    assert density(with_self, "r1", "a") == pytest.approx(5 / 6)


def test_matrix_kernels_on_an_absent_industry() -> None:
    mcp = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    phi = ind.proximity_matrix(mcp)
    assert phi.tolist() == [[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 0.0]]
    density = ind.density_matrix(mcp, phi)
    assert density.tolist() == [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]


# --- identities (Hypothesis) --------------------------------------------------------------

REGIONS = ["密州街道", "龙都街道", "舜王街道", "枳沟镇", "贾悦镇"]
INDUSTRIES = ["13", "17", "18", "26", "30", "34", "35"]

tables = st.lists(
    st.tuples(
        st.sampled_from(REGIONS),
        st.sampled_from(INDUSTRIES),
        st.one_of(st.integers(1, 10**6).map(float), st.floats(0.01, 1e7)),
    ),
    min_size=1,
    max_size=40,
).map(lambda rows: pl.DataFrame(rows, schema=["region", "industry", "value"], orient="row"))


@settings(max_examples=60, deadline=None)
@given(tables)
def test_identities(table: pl.DataFrame) -> None:
    lq = ind.location_quotients(table)
    x = ind.aggregate(table)
    total = float(x["value"].sum())
    shares = lq.with_columns(
        (pl.col("value").sum().over("region") / total).alias("x_r"),
        (pl.col("value").sum().over("industry") / total).alias("s_i"),
    )
    # Σ shares = 1 in every region and industry; activity-weighted mean LQ = 1.
    per_region = shares.group_by("region").agg(
        pl.col("region_share").sum(), (pl.col("s_i") * pl.col("lq")).sum().alias("mean_lq")
    )
    per_industry = shares.group_by("industry").agg(
        pl.col("industry_share").sum(), (pl.col("x_r") * pl.col("lq")).sum().alias("mean_lq")
    )
    for frame, share in ((per_region, "region_share"), (per_industry, "industry_share")):
        assert np.allclose(frame[share], 1.0) and np.allclose(frame["mean_lq"], 1.0)

    n_regions = x["region"].n_unique()
    h = ind.hhi(table)
    assert (h["hhi"] >= 1 / n_regions - 1e-12).all() and (h["hhi"] <= 1 + 1e-12).all()
    assert np.allclose(h["effective_number"] * h["hhi"], 1.0)
    hoover = ind.hoover(table)["hoover"]
    gini = ind.locational_gini(table)["gini"]
    assert ((hoover >= -1e-12) & (hoover < 1)).all() and ((gini >= -1e-12) & (gini < 1)).all()
    assert (ind.theil(table)["theil"] >= -1e-12).all()
    assert np.allclose(ind.krugman(table)["krugman"], 2 * ind.hoover(table, of="region")["hoover"])
    cr1 = ind.concentration_ratio(table, 1)["cr"]
    cr2 = ind.concentration_ratio(table, 2)["cr"]
    assert (cr1 <= cr2 + 1e-12).all()
    assert np.allclose(ind.concentration_ratio(table, n_regions)["cr"], 1.0)
    density = ind.relatedness_density(table)["density"]
    assert ((density >= 0) & (density <= 1 + 1e-12)).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.floats(0.5, 1e6), st.lists(st.floats(0.5, 1e6), min_size=1))
def test_equal_shares_and_proportional_spread(n: int, value: float, mix: list[float]) -> None:
    """An industry equally spread over n regions has HHI 1/n; industries spread exactly like
    all activity (every region has the same mix) have Gini, Hoover, Theil and Krugman 0."""
    equal = pl.DataFrame({"region": REGIONS[:n], "industry": ["i"] * n, "value": [value] * n})
    assert ind.hhi(equal)["hhi"].item() == pytest.approx(1 / n)
    assert ind.hhi(equal)["effective_number"].item() == pytest.approx(n)
    sizes = [1.0, 2.0, 4.0][: max(1, min(3, n))]
    same_mix = pl.DataFrame(
        [
            (region, INDUSTRIES[k], size * share)
            for region, size in zip(REGIONS, sizes, strict=False)
            for k, share in enumerate(mix[: len(INDUSTRIES)])
        ],
        schema=["region", "industry", "value"],
        orient="row",
    )
    for frame, name in [
        (ind.locational_gini(same_mix), "gini"),
        (ind.hoover(same_mix), "hoover"),
        (ind.theil(same_mix), "theil"),
        (ind.krugman(same_mix), "krugman"),
    ]:
        assert np.allclose(frame[name], 0.0, atol=1e-9), name
    assert np.allclose(ind.location_quotients(same_mix)["lq"], 1.0)


# --- tables from a register ---------------------------------------------------------------


def register(rows: list[dict[str, object]], present: set[str] | None = None) -> Register:
    names = [c.name for c in COLUMNS]
    frame = pl.DataFrame(
        [{name: row.get(name) for name in names} for row in rows],
        schema={
            **{name: pl.String for name in names},
            "year": pl.Int64,
            "revenue": pl.Float64,
            "employees": pl.Int64,
        },
    )
    keep = present if present is not None else {"year", "name", "town", "industry_code"}
    return Register("test.csv", None, frame.select(names), frozenset(keep | {"revenue"}))


FIRMS = [
    {"year": 2024, "name": "甲", "town": "T1", "industry_code": "1810", "revenue": 100.0},
    {"year": 2024, "name": "乙", "town": "T1", "industry_code": "1830", "employees": 7},
    {"year": 2024, "name": "丙", "town": "T2", "industry_code": "34", "revenue": 50.0},
    {"year": 2024, "name": "丁", "town": None, "industry_code": "3410", "revenue": 9.0},
    {"year": 2023, "name": "甲", "town": "T1", "industry_code": "1810", "revenue": 80.0},
]


def test_activity_table_levels_and_measures() -> None:
    reg = register(FIRMS)
    division = ind.activity_table(reg)
    assert division.rows() == [("T1", "18", 100.0), ("T2", "34", 50.0)]
    group = ind.activity_table(reg, level="group")  # "34" has no 3-digit group
    assert group.rows() == [("T1", "181", 100.0), ("T1", "183", 0.0)]
    firms = ind.activity_table(reg, level="class", measure="firms")
    assert firms.rows() == [("T1", "1810", 1.0), ("T1", "1830", 1.0)]
    employees = ind.activity_table(reg, measure="employees", year=2024)
    assert employees.rows() == [("T1", "18", 7.0), ("T2", "34", 0.0)]
    assert ind.activity_table(reg, year=2023).rows() == [("T1", "18", 80.0)]
    assert ind.firm_table(reg).height == 3


def test_activity_table_by_cluster() -> None:
    reg = register(FIRMS)
    clusters = ind.activity_table(reg, level="cluster")  # the default Zhucheng definitions
    assert clusters["value"].sum() > 0
    assert clusters["industry"].null_count() == 0
    own = register(
        [{**FIRMS[0], "cluster": "纺织服装"}, {**FIRMS[2], "cluster": "机械"}],
        present={"year", "name", "town", "cluster"},
    )
    assert ind.activity_table(own, level="cluster").rows() == [
        ("T1", "纺织服装", 100.0),
        ("T2", "机械", 50.0),
    ]


def test_activity_table_errors() -> None:
    reg = register(FIRMS)
    with pytest.raises(FileProblem):
        ind.activity_table(reg, year=1999)
    no_codes = register(
        [{**FIRMS[0], "cluster": "纺织服装"}], present={"year", "name", "town", "cluster"}
    )
    with pytest.raises(ind.NoIndustryCodes) as caught:
        ind.activity_table(no_codes, level="division")
    assert "division" in caught.value.lines("en")[0]
