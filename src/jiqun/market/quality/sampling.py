"""The sampling plan (PRODUCT.md M8): which arriving lots the testing centre samples, and why.

Lots are considered in arrival order. A lot is drawn when any of these holds, and carries every
reason that held (in Chinese and English):

1. ``coverage`` — it is the first lot of its supplier × variety in the current period (default
   a week, Monday 00:00 China Standard Time to the next), so every supplier × variety that
   delivers in a period is sampled at least once in it; this one is not random.
2. ``new_supplier`` — the supplier is new (among his first ``new_lots`` lots, or within
   ``new_days`` of his first lot): drawn with probability ``new_rate``.
3. ``flagged`` — the supplier had a positive (a failed lot) within ``flag_days``: drawn with
   probability ``flagged_rate`` (oversampled).
4. ``random`` — every lot: drawn with probability ``base_rate``.

Exactly one number is taken from ``random.Random(seed)`` per lot, whatever happens, so a plan
with the same seed, settings and lots draws the same lots. A random reason is given when that
number is below its rate; the rates are the probabilities a lot is drawn for that reason, so the
oversampling of new and flagged suppliers can be measured against ``base_rate``.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
# Monday 1970-01-05 00:00 China Standard Time (UTC+8), the first period's start.
MONDAY_CST_MS = 4 * DAY_MS - 8 * 3_600_000

REASONS: dict[str, tuple[str, str]] = {
    "coverage": (
        "本周期内该供应商×品种的首批，保证每周期至少抽检一次",
        "first lot of this supplier × variety in the period: each is sampled at least once",
    ),
    "new_supplier": ("新供应商，加密抽检", "new supplier: sampled more often"),
    "flagged": (
        "供应商近期有阳性（不合格）记录，加密抽检",
        "supplier had a recent positive: oversampled",
    ),
    "random": ("随机抽检", "random draw"),
}


@dataclass(frozen=True)
class Reason:
    code: str

    @property
    def zh(self) -> str:
        return REASONS[self.code][0]

    @property
    def en(self) -> str:
        return REASONS[self.code][1]


@dataclass(frozen=True)
class Arrival:
    """A lot arriving at intake."""

    lot: str
    supplier: str
    variety: str
    at_ms: int


@dataclass(frozen=True)
class Draw:
    arrival: Arrival
    drawn: bool
    reasons: tuple[Reason, ...]
    period: int

    def to_json(self) -> dict[str, object]:
        a = self.arrival
        return {
            "lot": a.lot,
            "supplier": a.supplier,
            "variety": a.variety,
            "at_ms": a.at_ms,
            "drawn": self.drawn,
            "reasons": [{"code": r.code, "zh": r.zh, "en": r.en} for r in self.reasons],
        }


@dataclass(frozen=True)
class PlanSettings:
    period_ms: int = WEEK_MS
    origin_ms: int = MONDAY_CST_MS
    base_rate: float = 0.05
    new_rate: float = 0.5
    new_lots: int = 5
    new_days: int = 14
    flagged_rate: float = 0.5
    flag_days: int = 28

    def __post_init__(self) -> None:
        if self.period_ms <= 0:
            raise ValueError("period_ms must be positive")
        for name in ("base_rate", "new_rate", "flagged_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be within [0, 1]")
        if min(self.new_lots, self.new_days, self.flag_days) < 0:
            raise ValueError("new_lots, new_days and flag_days must not be negative")


@dataclass
class SamplingPlan:
    """A seeded plan and what it remembers: pairs sampled per period, suppliers' history."""

    settings: PlanSettings = field(default_factory=PlanSettings)
    seed: int | str | None = None
    _rng: random.Random = field(init=False, repr=False)
    _covered: set[tuple[int, str, str]] = field(default_factory=set, repr=False)
    _first_ms: dict[str, int] = field(default_factory=dict, repr=False)
    _lots: dict[str, int] = field(default_factory=dict, repr=False)
    _flagged_ms: dict[str, int] = field(default_factory=dict, repr=False)
    _now: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def period(self, at_ms: int) -> int:
        s = self.settings
        return (at_ms - s.origin_ms) // s.period_ms

    def flag(self, supplier: str, at_ms: int) -> None:
        """The supplier had a positive (a failed lot) at ``at_ms``."""
        self._flagged_ms[supplier] = max(at_ms, self._flagged_ms.get(supplier, at_ms))

    def is_flagged(self, supplier: str, at_ms: int) -> bool:
        flagged = self._flagged_ms.get(supplier)
        return flagged is not None and flagged <= at_ms < flagged + self.settings.flag_days * DAY_MS

    def is_new(self, supplier: str, at_ms: int) -> bool:
        s = self.settings
        first = self._first_ms.get(supplier)
        if first is None:
            return True
        return self._lots.get(supplier, 0) < s.new_lots or at_ms < first + s.new_days * DAY_MS

    def mark_covered(self, period: int, supplier: str, variety: str) -> None:
        """A lot of this pair was already sampled in ``period`` (a plan rebuilt from records)."""
        self._covered.add((period, supplier, variety))

    def remember(self, supplier: str, first_ms: int, lots: int) -> None:
        """The supplier's first lot and how many lots he brought (a plan rebuilt from records)."""
        self._first_ms[supplier] = first_ms
        self._lots[supplier] = lots

    def consider(self, arrival: Arrival, u: float | None = None) -> Draw:
        """Decide on one arriving lot (arrivals must come in time order). ``u``: the lot's
        random number in [0, 1) when the caller draws it (else the plan's seeded stream)."""
        if self._now is not None and arrival.at_ms < self._now:
            raise ValueError(f"lot {arrival.lot} arrives before the previous lot")
        self._now = arrival.at_ms
        s = self.settings
        if u is None:
            u = self._rng.random()  # exactly one draw per lot: reproducible whatever the branch
        period = self.period(arrival.at_ms)
        key = (period, arrival.supplier, arrival.variety)
        reasons: list[Reason] = []
        if key not in self._covered:
            reasons.append(Reason("coverage"))
        if self.is_new(arrival.supplier, arrival.at_ms) and u < s.new_rate:
            reasons.append(Reason("new_supplier"))
        if self.is_flagged(arrival.supplier, arrival.at_ms) and u < s.flagged_rate:
            reasons.append(Reason("flagged"))
        if u < s.base_rate:
            reasons.append(Reason("random"))
        drawn = bool(reasons)
        if drawn:
            self._covered.add(key)
        self._first_ms.setdefault(arrival.supplier, arrival.at_ms)
        self._lots[arrival.supplier] = self._lots.get(arrival.supplier, 0) + 1
        return Draw(arrival, drawn, tuple(reasons), period)

    def run(self, arrivals: Iterable[Arrival]) -> list[Draw]:
        return [self.consider(a) for a in arrivals]


def read_arrivals(path: Path) -> list[Arrival]:
    """Arrivals from a CSV with columns lot, supplier, variety, time (ms, a date or a date and
    time, China Standard Time), sorted by time; a bad row is an error naming it."""
    from jiqun.market.texts import MarketProblem, parse_time

    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(text.splitlines())
    missing = [
        c for c in ("lot", "supplier", "variety", "time") if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise MarketProblem(
            f"{path.name}：缺少必需的列：{'、'.join(missing)}",
            f"{path.name}: required columns missing: {', '.join(missing)}",
        )
    out = []
    for row_no, row in enumerate(reader, start=2):
        values = {k: (row.get(k) or "").strip() for k in ("lot", "supplier", "variety", "time")}
        for k, v in values.items():
            if not v:
                raise MarketProblem(
                    f"{path.name} 第{row_no}行，字段“{k}”为空",
                    f"{path.name} row {row_no}, field '{k}' is empty",
                )
        try:
            at = parse_time(values["time"])
        except MarketProblem as e:
            raise MarketProblem(
                f"{path.name} 第{row_no}行，字段“time”：{e.zh}",
                f"{path.name} row {row_no}, field 'time': {e.en}",
            ) from None
        out.append(Arrival(values["lot"], values["supplier"], values["variety"], at))
    return sorted(out, key=lambda a: a.at_ms)
