"""Economic complexity on a long panel (PRODUCT.md O4), as the Growth Lab's ``ecomplexity``.

Input: one row per time × location × product with a value (exports, revenue, employees …),
under any column names. Output: one row per time × loc × prod of each period's rectangle (every
location and product that appears in that period), with

* ``rca`` — Balassa's revealed comparative advantage, the location quotient
  RCA_cp = (x_cp / x_c·) / (x_·p / x··);
* ``mcp`` — M_cp = [RCA_cp ≥ threshold] (1 by default);
* ``diversity`` k_c = Σ_p M_cp and ``ubiquity`` k_p = Σ_c M_cp;
* ``eci``, ``pci`` — the economic and product complexity indices (Hidalgo & Hausmann 2009;
  Hausmann, Hidalgo et al. 2014, *The Atlas of Economic Complexity*);
* ``density`` — ω_cp = Σ_p' M_cp' φ_pp' / Σ_p' φ_pp' with the proximity
  φ_pp' = Σ_c M_cp M_cp' / max(k_p, k_p') (Hidalgo, Klinger, Barabási & Hausmann 2007);
* ``coi`` — complexity outlook index and ``cog`` — complexity outlook gain (below).

**ECI and PCI without a nonsymmetric eigensolve.** ECI is the eigenvector of the second
largest eigenvalue of M̃_cc' = Σ_p M_cp M_c'p / (k_c k_p), i.e. D⁻¹ M U⁻¹ Mᵀ with D = diag(k_c),
U = diag(k_p). ``ecomplexity`` forms the product-side matrix and calls ``numpy.linalg.eig`` on it
(dense, nonsymmetric, O(P³), the cost of its issues #45 and #48). M̃ is similar to the
symmetric positive semi-definite S = D^{-1/2} M U⁻¹ Mᵀ D^{-1/2} = A Aᵀ with
A = D^{-1/2} M U^{-1/2}, so we solve ``eigh`` on the smaller of A Aᵀ (locations) and Aᵀ A
(products): if S v = λ v then k_c = D^{-1/2} v; on the product side k_p = U^{-1/2} w. The other
side follows from the averaging relations kc = D⁻¹ M kp and kp = U⁻¹ Mᵀ kc / λ, which keep
exactly the pair (kc = D⁻¹ M kp) that ``ecomplexity`` standardises. The largest eigenvalue is 1
(eigenvector ∝ √k_c); we take the second.

**Conventions kept from ecomplexity** (its Python 0.5.x and its Stata original agree on them):
the sign makes ECI correlate positively with diversity; ECI is standardised (mean 0, population
s.d. 1 over locations) and PCI is shifted and scaled by ECI's mean and s.d. (not its own), so
that ECI_c is the mean PCI of the products with M_cp = 1; COI_c = Σ_p ω_cp (1 − M_cp) PCI⁰_p,
then standardised over locations; COG_cp = (1 − M_cp) Σ_p' (1 − M_cp') φ_p'p PCI⁰_p' / Σ_p''
φ_p'p'', divided by ECI's s.d. — where PCI⁰ is the signed eigenvector *before* the shift, so
COG uses PCI scaled but not centred (both packages do this; the Atlas prints COG with the
standardised PCI and an extra term −ω_cp PCI_p, which Stata's ``coicog.ado`` comments out).

**Where and why we differ from ecomplexity 0.5.3.** The package has no test suite (its issue
#44); ``tests/observatory/test_complexity.py`` checks agreement on random panels (ECI, PCI,
density, COI, COG within 1e-9 with ``self_proximity=True``; RCA, M, diversity, ubiquity exact)
and has one test per difference:

1. *Self-proximity.* ``ecomplexity``'s proximity keeps φ_pp = 1, so ω_cp counts the cell's own
   M_cp in the numerator and 1 in the denominator, and COG weights include p itself. The Stata
   original subtracts the identity (``proxdiscrete.ado``), as do Hidalgo et al. (2007) and
   EconGeo: density is about *other*, related products. Default: φ_pp = 0;
   ``self_proximity=True`` reproduces the Python package (density, COI and COG to 1e-9).
2. *Missing values.* ``ecomplexity`` means to coerce NaN to 0, but its
   ``data.val.fillna(0, inplace=True)`` is a chained in-place call that is a no-op under
   pandas ≥ 3 (copy-on-write): the NaN survives, totals skip it (``nansum``) and its RCA is
   NaN instead of 0. We treat null and NaN as 0 everywhere (RCA 0).
3. *Duplicate rows* (same time, loc, prod): ``ecomplexity`` keeps the first and warns; we sum
   them, so a table of firms or plants can be passed as is.
4. *Negative or infinite values* are rejected (:class:`PanelProblem`); ``ecomplexity`` computes
   RCAs of mixed-sign totals that mean nothing.
5. *Zero diversity or ubiquity* (possible with a threshold above 1): ``ecomplexity`` drops such
   rows and columns and re-inserts NaN — but with exactly one, ``np.argwhere(…).squeeze()`` is
   0-d, iterating it raises, the exception is caught and the whole period's ECI/PCI are NaN;
   with several, the NaNs make ECI's mean and s.d. NaN and again every ECI, PCI, COI and COG of
   the period is NaN. We give NaN (null) to those locations/products only and compute the rest
   on the remaining submatrix, which is what its code intends (as its issue #49 describes).
6. *Disconnected M* (the bipartite network splits into components; λ₂ = 1 is degenerate):
   ``ecomplexity`` returns whichever vector of the degenerate eigenspace LAPACK happens to
   give (a mix of component indicators); ECI is undefined, so we return null ECI, PCI, COI and
   COG for the period (likewise for fewer than two locations or products, or λ₂ = 0).
7. *Constant diversity*: its sign rule ``np.corrcoef(diversity, kc)`` is NaN and the whole
   period comes out NaN; we fall back to PCI correlating negatively with ubiquity.
8. *Rows*: ``ecomplexity`` returns its rectangle of non-zero locations × products plus the input
   rows of zero-total ones (NaN); we return the full rectangle of each period's locations and
   products, zero-total ones with null indicators; sorted by time, loc, prod.

Dense numpy throughout: per period the largest arrays are P × P (proximity) and the
locations × products matrices, e.g. 12 MB each at 300 × 1,200.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from jiqun.i18n import current_lang
from jiqun.observatory.errors import UserError
from jiqun.observatory.indicators import density_matrix, proximity_matrix

F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]

OUTPUTS = ("rca", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog")

# λ₂ within this of 1 is a degenerate (disconnected) top eigenvalue; below _TINY, rank one.
_DEGENERATE = 1e-10
_TINY = 1e-12

_MESSAGES = {
    "missing_columns": ("面板缺少列：{detail}", "the panel has no column {detail}"),
    "not_numeric": ("数值列 {detail} 不是数字", "the value column {detail} is not numeric"),
    "negative": (
        "数值列有{count}个负数或无穷大的值（如 {detail}）",
        "the value column has {count} negative or infinite values (e.g. {detail})",
    ),
    "empty_keys": (
        "有{count}行的时间、地区或产品为空",
        "{count} rows have an empty time, location or product",
    ),
}


class PanelProblem(UserError, ValueError):
    """A panel that cannot be computed: missing columns, non-numeric or negative values."""

    def __init__(self, key: str, detail: str = "", count: int = 0) -> None:
        self.key = key
        self.detail = detail
        self.count = count
        super().__init__(self.lines()[0])

    def lines(self, lang: str | None = None) -> list[str]:
        zh, en = _MESSAGES[self.key]
        text = zh if (lang or current_lang()) == "zh" else en
        return [text.format(detail=self.detail, count=self.count)]


def complexity(
    panel: pl.DataFrame,
    *,
    time: str = "time",
    loc: str = "loc",
    prod: str = "prod",
    val: str = "val",
    rca_threshold: float = 1.0,
    self_proximity: bool = False,
) -> pl.DataFrame:
    """Complexity indicators of a long panel; see the module docstring for the formulas.

    Columns: ``time``, ``loc``, ``prod``, ``val`` (under the panel's own names; ``val`` summed
    over duplicate rows, 0 where a pair is absent), then ``rca``, ``mcp``, ``diversity``,
    ``ubiquity``, ``eci``, ``pci``, ``density``, ``coi``, ``cog``. Undefined values are null.
    """
    missing = [c for c in (time, loc, prod, val) if c not in panel.columns]
    if missing:
        raise PanelProblem("missing_columns", ", ".join(missing))
    if not panel.schema[val].is_numeric():
        raise PanelProblem("not_numeric", val)
    keys = [time, loc, prod]
    empty = panel.select(pl.any_horizontal(pl.col(keys).is_null()).sum()).item()
    if empty:
        raise PanelProblem("empty_keys", count=int(empty))
    value = pl.col(val).cast(pl.Float64).fill_nan(None).fill_null(0.0)
    bad = panel.lazy().filter((value < 0) | value.is_infinite()).select(pl.col(val))
    bad_rows = bad.collect()
    if bad_rows.height:
        raise PanelProblem("negative", str(bad_rows[val][0]), bad_rows.height)
    if panel.height == 0:
        return _empty(panel, time, loc, prod, val)

    # Integer codes in sorted order (no sort or group_by of the rows themselves): each period
    # is then scattered into its dense matrix by bincount, which also sums duplicate rows.
    times, t_code = _codes(panel[time])
    locs, c_code = _codes(panel[loc])
    prods, p_code = _codes(panel[prod])
    values = panel.select(value).to_series().to_numpy()
    order = np.argsort(t_code, kind="stable")
    bounds = np.searchsorted(t_code[order], np.arange(times.len() + 1))
    out = []
    for k in range(times.len()):
        rows = order[bounds[k] : bounds[k + 1]]
        out.append(
            _period(
                times[k : k + 1],
                locs,
                prods,
                c_code[rows],
                p_code[rows],
                values[rows],
                names=(time, loc, prod, val),
                threshold=rca_threshold,
                self_proximity=self_proximity,
            )
        )
    return pl.concat(out)


def _codes(keys: pl.Series) -> tuple[pl.Series, NDArray[np.int64]]:
    """The sorted distinct keys and each row's index among them."""
    if keys.dtype in (pl.Categorical, pl.Enum):
        keys = keys.cast(pl.String)
    distinct = keys.unique().sort()
    if keys.dtype == pl.String:
        codes = keys.cast(pl.Enum(distinct)).to_physical()
    else:
        codes = distinct.search_sorted(keys)
    return distinct, codes.cast(pl.Int64).to_numpy()


def _local(here: NDArray[np.intp], n: int) -> NDArray[np.intp]:
    """Global code → position among the codes present in the period."""
    table = np.zeros(n, dtype=np.intp)
    table[here] = np.arange(here.size)
    return table


def _empty(panel: pl.DataFrame, time: str, loc: str, prod: str, val: str) -> pl.DataFrame:
    schema: dict[str, Any] = {
        time: panel.schema[time],
        loc: panel.schema[loc],
        prod: panel.schema[prod],
        val: pl.Float64,
    }
    schema.update({c: pl.Float64 for c in OUTPUTS})
    schema.update(mcp=pl.Int8, diversity=pl.Int64, ubiquity=pl.Int64)
    return pl.DataFrame(schema=schema)


def _period(
    time: pl.Series,
    locs: pl.Series,
    prods: pl.Series,
    c_code: NDArray[np.int64],
    p_code: NDArray[np.int64],
    values: F64,
    *,
    names: tuple[str, str, str, str],
    threshold: float,
    self_proximity: bool,
) -> pl.DataFrame:
    """One period: its locations and products, the dense matrix, the indicators, flattened."""
    here_c = np.flatnonzero(np.bincount(c_code, minlength=locs.len()))
    here_p = np.flatnonzero(np.bincount(p_code, minlength=prods.len()))
    n_c, n_p = here_c.size, here_p.size
    c_local = _local(here_c, locs.len())[c_code]
    p_local = _local(here_p, prods.len())[p_code]
    flat = np.bincount(c_local * n_p + p_local, weights=values, minlength=n_c * n_p)
    x: F64 = np.asarray(flat, dtype=np.float64).reshape(n_c, n_p)
    res = matrix_indicators(x, threshold=threshold, self_proximity=self_proximity)

    c, p = np.divmod(np.arange(n_c * n_p), n_p)
    t_name, loc, prod, val = names
    frame = pl.DataFrame(
        {
            t_name: time.new_from_index(0, n_c * n_p),
            loc: locs.gather(here_c[c]),
            prod: prods.gather(here_p[p]),
            val: x.ravel(),
            "rca": res["rca"].ravel(),
            "mcp": res["mcp"].ravel(),
            "diversity": res["diversity"][c],
            "ubiquity": res["ubiquity"][p],
            "eci": res["eci"][c],
            "pci": res["pci"][p],
            "density": res["density"].ravel(),
            "coi": res["coi"][c],
            "cog": res["cog"].ravel(),
        },
        nan_to_null=True,
    )
    return frame.with_columns(
        pl.col("mcp").cast(pl.Int8),
        pl.col("diversity", "ubiquity").cast(pl.Int64),
    )


def matrix_indicators(
    x: F64, *, threshold: float = 1.0, self_proximity: bool = False
) -> dict[str, F64]:
    """All indicators of one period from its dense locations × products matrix of values.

    Returns arrays with NaN where undefined: ``rca``, ``mcp``, ``density``, ``cog``
    (locations × products), ``diversity``, ``eci``, ``coi`` (locations), ``ubiquity``,
    ``pci`` (products). Locations and products with a zero total take no part.
    """
    n_c, n_p = x.shape
    nan_c, nan_p = np.full(n_c, np.nan), np.full(n_p, np.nan)
    out: dict[str, F64] = {"diversity": nan_c, "eci": nan_c, "coi": nan_c}
    out |= {"ubiquity": nan_p, "pci": nan_p}
    out |= {k: np.full((n_c, n_p), np.nan) for k in ("rca", "mcp", "density", "cog")}
    act_c: BOOL = x.sum(axis=1) > 0
    act_p: BOOL = x.sum(axis=0) > 0
    if not (act_c.any() and act_p.any()):
        return out
    xa = _sub(x, act_c, act_p)
    # RCA exactly as ecomplexity's ComplexityData.calculate_rca (same operations, same order).
    loc_total = xa.sum(axis=0)
    rca = (xa / xa.sum(axis=1)[:, None]) / (loc_total / loc_total.sum())[None, :]
    m = np.where(rca >= threshold, 1.0, 0.0)
    d, u = m.sum(axis=1), m.sum(axis=0)
    out["rca"] = _put(rca, act_c, act_p)
    out["mcp"] = _put(m, act_c, act_p)
    out["diversity"] = _put(d, act_c)
    out["ubiquity"] = _put(u, act_p)

    # Complexity on locations and products with M entries; others stay NaN (difference 5).
    # Proximity among products present somewhere; density for every active location.
    ok_c, ok_p = d > 0, u > 0
    mv = _sub(m, ok_c, ok_p)
    phi = proximity_matrix(mv)
    density = density_matrix(_sub(m, None, ok_p), phi, self_proximity=self_proximity)
    out["density"] = _put(_put(density, None, ok_p), act_c, act_p)

    pair = _eigen_pair(mv, d[ok_c], u[ok_p])
    if pair is None:
        return out
    kc, kp = pair
    mean, sd = kc.mean(), kc.std()
    eci = (kc - mean) / sd
    pci = (kp - mean) / sd
    kp0 = kp / sd  # signed, scaled, not centred: the PCI ecomplexity's COG uses

    absent = 1.0 - mv
    coi_raw = (_sub(density, ok_c, None) * absent * kp).sum(axis=1)
    coi_sd = coi_raw.std()
    coi = (coi_raw - coi_raw.mean()) / coi_sd if coi_sd > 0 else np.full_like(coi_raw, np.nan)
    # COG_cp = (1 − M_cp) Σ_p' (1 − M_cp') φ_p'p s_p' with s = PCI⁰ / Σ φ_p'·: scale the
    # locations × products factor by s rather than the P × P proximity matrix.
    diagonal = np.diagonal(phi)
    weight = phi.sum(axis=1)
    if not self_proximity:
        weight = weight - diagonal
    scaled = np.divide(kp0, weight, out=np.zeros_like(kp0), where=weight > 0)
    gain = absent * scaled[None, :]
    cog = gain @ phi
    if not self_proximity:
        cog -= gain * diagonal[None, :]
    cog *= absent

    out["eci"] = _put(_put(eci, ok_c), act_c)
    out["coi"] = _put(_put(coi, ok_c), act_c)
    out["pci"] = _put(_put(pci, ok_p), act_p)
    out["cog"] = _put(_put(cog, ok_c, ok_p), act_c, act_p)
    return out


def _sub(a: F64, rows: BOOL | None, cols: BOOL | None = None) -> F64:
    """a restricted to the selected rows and columns; a itself when all are selected."""
    if rows is not None and not rows.all():
        a = a[rows]
    if cols is not None and not cols.all():
        a = a[:, cols]
    return a


def _put(a: F64, rows: BOOL | None, cols: BOOL | None = None) -> F64:
    """The inverse of _sub: a spread over all rows (and columns), NaN in the others."""
    if rows is not None and not rows.all():
        full = np.full((rows.size, *a.shape[1:]), np.nan)
        full[rows] = a
        a = full
    if cols is not None and not cols.all():
        full = np.full((a.shape[0], cols.size), np.nan)
        full[:, cols] = a
        a = full
    return a


def _eigen_pair(m: F64, d: F64, u: F64) -> tuple[F64, F64] | None:
    """Signed (kc, kp) with kc = D⁻¹ M kp, kc the second eigenvector of D⁻¹ M U⁻¹ Mᵀ; None
    when it is not defined (fewer than 2 locations or products, λ₂ degenerate with λ₁ = 1,
    λ₂ = 0, or no sign)."""
    n_c, n_p = m.shape
    if min(n_c, n_p) < 2:
        return None
    sd, su = np.sqrt(d), np.sqrt(u)
    a = m / sd[:, None] / su[None, :]
    if n_c <= n_p:
        values, vectors = np.linalg.eigh(a @ a.T)
        lam = float(values[-2])
        if not _TINY < lam < 1.0 - _DEGENERATE:
            return None
        kc = vectors[:, -2] / sd
        kp = (m.T @ kc) / u / lam
    else:
        values, vectors = np.linalg.eigh(a.T @ a)
        lam = float(values[-2])
        if not _TINY < lam < 1.0 - _DEGENERATE:
            return None
        kp = vectors[:, -2] / su
        kc = (m @ kp) / d
    sign = _sign(d, kc)
    if sign == 0:
        sign = -_sign(u, kp)  # difference 7: constant diversity
    if sign == 0:
        return None
    return sign * kc, sign * kp


def _sign(a: F64, b: F64) -> float:
    """The sign of the correlation of a and b; 0 when either is constant."""
    a0, b0 = a - a.mean(), b - b.mean()
    scale = float(np.sqrt((a0 @ a0) * (b0 @ b0)))
    if scale == 0.0:
        return 0.0
    r = float(a0 @ b0) / scale
    return 0.0 if abs(r) < 1e-12 else float(np.sign(r))
