"""The testing centre's verdicts (PRODUCT.md M8): rapid tests and lab results. Pure functions.

Rapid test — GB/T 5009.199-2003 (enzyme inhibition; organophosphate and carbamate residues in
vegetables). The inhibition rate is a percentage, kept as an exact :class:`~decimal.Decimal`.

- A first reading below 50 % passes.
- A first reading of 50 % or more is positive and the sample is retested twice.
- The lot fails if both retests are 50 % or more.
- One retest of 50 % or more and one below is *discordant*: by the rule above the lot does not
  fail (it is released). The verdict says so (``discordant``), and recommends a quantitative
  lab test; the supplier is not flagged on a discordant result (only a failed lot flags him).

GB/T 5009.199 notes that the juices of 葱, 蒜, 萝卜, 韭菜, 芹菜, 香菜, 茭白, 蘑菇 and 番茄
contain plant secondary substances that inhibit the enzyme and so give false positives; for
them the method asks for whole-plant (整株/整体) extraction without cutting up the sample, or the
surface method (表面测定法) — :func:`special_handling` marks those varieties.

Lab results (mg/kg per pesticide) are judged against GB 2763 limits (:mod:`.mrl`): above the
limit fails, at the limit passes; a pesticide with no limit for that food is reported as
``no_limit``, explicitly, and does not fail the lot on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from jiqun.market.quality.mrl import MrlTable, default_table
from jiqun.market.texts import MarketProblem

THRESHOLD = Decimal(50)  # % inhibition, GB/T 5009.199
RETESTS = 2

PASS, FAIL, RETEST = "pass", "fail", "retest"


class RuleError(MarketProblem):
    """A reading the rules cannot take (not a number, out of range, too many readings …)."""


def percent(value: object, what: str = "抑制率") -> Decimal:
    """An inhibition rate as an exact Decimal in [0, 100]; floats are refused (inexact)."""
    d = _decimal(value, what)
    if not 0 <= d <= 100:
        raise RuleError(f"{what}“{value}”应在 0 到 100 之间", f"{what} '{value}' must be 0…100")
    return d


def mg_per_kg(value: object, what: str = "含量") -> Decimal:
    d = _decimal(value, what)
    if d < 0:
        raise RuleError(f"{what}“{value}”不能为负", f"{what} '{value}' cannot be negative")
    return d


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool | float):
        raise RuleError(
            f"{what}“{value}”须以十进制文本或整数给出（不用浮点数）",
            f"{what} '{value}' must be decimal text or an integer (no floats)",
        )
    if isinstance(value, Decimal | int):
        d = Decimal(value)
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip().rstrip("%").strip())
        except InvalidOperation:
            raise RuleError(
                f"{what}“{value}”不是数字", f"{what} '{value}' is not a number"
            ) from None
    else:
        raise RuleError(f"{what}“{value}”不是数字", f"{what} '{value}' is not a number")
    if not d.is_finite():
        raise RuleError(f"{what}“{value}”不是数字", f"{what} '{value}' is not a number")
    return d


# ---------------------------------------------------------------------------- rapid test


@dataclass(frozen=True)
class RapidVerdict:
    """``status``: pass, fail, or retest (positive, waiting for ``retests_needed`` more)."""

    status: str
    readings: tuple[Decimal, ...]
    retests_needed: int
    discordant: bool
    zh: str
    en: str

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "readings": [str(r) for r in self.readings],
            "retests_needed": self.retests_needed,
            "discordant": self.discordant,
            "reason": self.zh,
            "reason_en": self.en,
        }


def judge_rapid(readings: Sequence[object]) -> RapidVerdict:
    """The verdict on a sample's inhibition readings: the first test, then its retests."""
    if not readings:
        raise RuleError("没有检测读数", "no readings")
    values = tuple(percent(r) for r in readings)
    first, retests = values[0], values[1:]
    if first < THRESHOLD:
        if retests:
            raise RuleError(
                f"初检抑制率 {first}% 低于 50%，不应复检",
                f"first reading {first}% is below 50 %: no retest is due",
            )
        return RapidVerdict(
            PASS,
            values,
            0,
            False,
            f"抑制率 {first}% < 50%，合格",
            f"inhibition {first}% < 50 %: pass",
        )
    if len(retests) > RETESTS:
        raise RuleError(
            f"复检只做 {RETESTS} 次，给了 {len(retests)} 次",
            f"{RETESTS} retests are done, {len(retests)} given",
        )
    if len(retests) < RETESTS:
        need = RETESTS - len(retests)
        return RapidVerdict(
            RETEST,
            values,
            need,
            False,
            f"抑制率 {first}% ≥ 50%，阳性，需再复检 {need} 次",
            f"inhibition {first}% ≥ 50 %: positive, {need} more retest(s) due",
        )
    positives = sum(1 for r in retests if r >= THRESHOLD)
    shown = "、".join(f"{r}%" for r in retests)
    if positives == RETESTS:
        return RapidVerdict(
            FAIL,
            values,
            0,
            False,
            f"两次复检（{shown}）均 ≥ 50%，不合格",
            f"both retests ({shown}) ≥ 50 %: fail",
        )
    if positives == 1:
        return RapidVerdict(
            PASS,
            values,
            0,
            True,
            f"复检结果不一致（{shown}），按规则不判不合格；建议送实验室定量确认",
            f"retests disagree ({shown}): the lot does not fail by the rule; "
            "a quantitative lab test is recommended",
        )
    return RapidVerdict(
        PASS,
        values,
        0,
        False,
        f"初检阳性，两次复检（{shown}）均 < 50%，合格",
        f"first reading positive, both retests ({shown}) < 50 %: pass",
    )


# ---------------------------------------------------------------------------- false positives


@dataclass(frozen=True)
class Handling:
    """GB/T 5009.199's handling of a variety whose juice inhibits the enzyme by itself."""

    group: str  # the name the standard uses: 葱, 蒜, …
    zh: str
    en: str


FALSE_POSITIVE = ("葱", "蒜", "萝卜", "韭菜", "芹菜", "香菜", "茭白", "蘑菇", "番茄")
# The food-tree nodes each of the standard's names covers (a variety under one is marked).
FALSE_POSITIVE_NODES: dict[str, tuple[str, ...]] = {
    "葱": ("葱",),
    "蒜": ("大蒜", "青蒜", "蒜薹"),
    "萝卜": ("萝卜",),
    "韭菜": ("韭菜",),
    "芹菜": ("芹菜",),
    "香菜": ("芫荽",),
    "茭白": ("茭白",),
    "蘑菇": ("蘑菇类（鲜）",),
    "番茄": ("番茄类",),
}
HANDLING_ZH = (
    "GB/T 5009.199：{group}的汁液含抑制酶活性的次生物质，易出现假阳性；"
    "取样时不要剪碎，采用整株（体）浸提或表面测定法"
)
HANDLING_EN = (
    "GB/T 5009.199: the juice of {group} contains secondary substances that inhibit the enzyme "
    "and give false positives; do not cut up the sample — extract the whole plant or use the "
    "surface method"
)


def special_handling(variety: str, table: MrlTable | None = None) -> Handling | None:
    """The special handling the rapid test needs for ``variety`` (``None``: none needed).

    The variety is resolved in the food tree (aliases: 西红柿, 大葱, 白萝卜 …); a name the tree
    does not know is matched by the standard's names it contains (紫皮蒜 → 蒜)."""
    table = table or default_table()
    food = table.find_food(variety)
    if food is not None:
        path = table.path(food.name)
        for group, nodes in FALSE_POSITIVE_NODES.items():
            if any(n in path for n in nodes):
                return _handling(group)
        return None
    for group in FALSE_POSITIVE:
        if group in variety:
            return _handling(group)
    return None


def _handling(group: str) -> Handling:
    return Handling(group, HANDLING_ZH.format(group=group), HANDLING_EN.format(group=group))


# ---------------------------------------------------------------------------- lab results


EXCEEDS, WITHIN, NO_LIMIT = "exceeds", "within", "no_limit"


@dataclass(frozen=True)
class LabLine:
    pesticide: str
    measured: Decimal
    limit: Decimal | None
    status: str  # exceeds | within | no_limit
    matched: str | None  # the category the limit was found at
    source: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "pesticide": self.pesticide,
            "measured_mg_kg": str(self.measured),
            "limit_mg_kg": None if self.limit is None else str(self.limit),
            "status": self.status,
            "matched": self.matched,
            "source": self.source,
        }


@dataclass(frozen=True)
class LabVerdict:
    food: str
    status: str  # pass | fail
    lines: tuple[LabLine, ...]

    @property
    def exceeded(self) -> tuple[LabLine, ...]:
        return tuple(line for line in self.lines if line.status == EXCEEDS)

    @property
    def without_limit(self) -> tuple[LabLine, ...]:
        return tuple(line for line in self.lines if line.status == NO_LIMIT)

    def to_json(self) -> dict[str, object]:
        return {
            "food": self.food,
            "status": self.status,
            "lines": [x.to_json() for x in self.lines],
        }


def judge_lab(
    food: str, results: Mapping[str, object], table: MrlTable | None = None
) -> LabVerdict:
    """Each measured pesticide against its GB 2763 limit in ``food``: above it fails."""
    if not results:
        raise RuleError("没有检测结果", "no results")
    table = table or default_table()
    canonical = table.food(food).name
    lines: list[LabLine] = []
    seen: set[str] = set()
    for name, value in results.items():
        measured = mg_per_kg(value, f"{name} 含量")
        match = table.lookup(name, canonical)
        if match.pesticide.name in seen:
            raise RuleError(
                f"农药“{match.pesticide.name}”的结果出现两次",
                f"two results for '{match.pesticide.name}'",
            )
        seen.add(match.pesticide.name)
        limit = match.limit
        if limit is None:
            lines.append(LabLine(match.pesticide.name, measured, None, NO_LIMIT, None, None))
            continue
        status = EXCEEDS if measured > limit.mg_per_kg else WITHIN
        lines.append(
            LabLine(
                match.pesticide.name, measured, limit.mg_per_kg, status, limit.food, limit.source
            )
        )
    status = FAIL if any(line.status == EXCEEDS for line in lines) else PASS
    return LabVerdict(canonical, status, tuple(lines))
