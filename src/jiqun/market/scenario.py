"""Reading a clock scenario (PRODUCT.md M3) into the core's types, with clear errors.

A malformed scenario is reported as ``FILE：path.to.field：reason`` (for example
``day.json：lots[0].reserve_price_fen：应为整数``), never as a traceback. ``qty`` of a press is
taken as it comes: a bad quantity is the rulebook's ``bad_quantity``, not a malformed file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jiqun.i18n import current_lang
from jiqun.market.core.engine import EngineError, HallEngine
from jiqun.market.core.events import Press
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.core.replay import Scenario
from jiqun.observatory.errors import UserError

NonNegative = Annotated[int, Field(ge=0, strict=True)]
Positive = Annotated[int, Field(gt=0, strict=True)]
Text = Annotated[str, Field(min_length=1, strict=True)]


class _Model(BaseModel):
    # Fields a scenario made elsewhere adds (a member's name, a lot's notes) are ignored:
    # they cannot change the rulebook's result. Known fields are checked strictly.
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Market(_Model):
    seller_commission_bps: NonNegative = 0
    buyer_fee_bps: NonNegative = 0


class _Clock(_Model):
    tick_ms: Positive
    step_fen: Positive
    pause_ms: NonNegative
    restart_steps: NonNegative
    same_stop_ms: NonNegative


class _Member(_Model):
    id: Text
    role: Literal["buyer", "supplier"]
    deposit_fen: NonNegative = 0
    daily_limit_fen: NonNegative | None = None
    suspended: bool = False


class _Lot(_Model):
    id: Text
    supplier: Text
    variety: Text
    grade: Text
    units: NonNegative
    unit_net_g: Positive
    start_price_fen: NonNegative
    reserve_price_fen: NonNegative
    min_purchase: Positive
    origin: str = ""
    package: str = ""
    category: str = ""


class _Press(_Model):
    at_ms: NonNegative
    buyer: str
    lot: str
    qty: Any
    round: int | None = None
    tick: int | None = None


class _Scenario(_Model):
    market: _Market = _Market()
    clock: _Clock
    members: list[_Member]
    lots: list[_Lot]
    presses: list[_Press] = []


class ScenarioError(UserError):
    """A scenario that cannot be run: each line names the file, the field and the reason."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source, self.problems = source, problems
        super().__init__("\n".join(self.lines()))

    def lines(self, lang: Any = None) -> list[str]:
        sep = "：" if (lang or current_lang()) == "zh" else ": "
        return [
            f"{self.source}{sep}{where}{sep}{why}" if where else f"{self.source}{sep}{why}"
            for where, why in self.problems
        ]


_ZH = {
    "missing": "缺少此字段",
    "int_type": "应为整数",
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "greater_than_equal": "不能为负数",
    "greater_than": "应为正整数",
    "literal_error": "应为 buyer 或 supplier",
    "extra_forbidden": "无法识别的字段",
    "string_too_short": "不能为空",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "dict_type": "应为对象",
}


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validation_error(
    source: str, error: ValidationError, zh_words: Mapping[str, str] | None = None
) -> ScenarioError:
    """Pydantic's problems as a :class:`ScenarioError`: each names its field (``lots[2].units``)
    and says why, in Chinese by default (``zh_words`` adds or overrides reasons by type)."""
    words = {**_ZH, **(zh_words or {})}
    zh = current_lang() == "zh"
    problems = [
        (_where(err["loc"]), words.get(err["type"], err["msg"]) if zh else err["msg"])
        for err in error.errors()
    ]
    return ScenarioError(source, problems)


def parse_scenario(data: object, source: str = "scenario") -> Scenario:
    """Check a decoded scenario and build the core's :class:`Scenario`."""
    try:
        model = _Scenario.model_validate(data)
    except ValidationError as e:
        raise validation_error(source, e) from None
    members = tuple(
        Member(m.id, Role(m.role), m.suspended, m.daily_limit_fen) for m in model.members
    )
    lots = tuple(Lot(**lot.model_dump()) for lot in model.lots)
    scenario = Scenario(
        market=MarketSettings(**model.market.model_dump()),
        clock=ClockSettings(**model.clock.model_dump()),
        members=members,
        deposits={m.id: m.deposit_fen for m in model.members},
        lots=lots,
        presses=tuple(
            Press(p.at_ms, p.buyer, p.lot, p.qty, p.round, p.tick) for p in model.presses
        ),
    )
    _check_facts(scenario, source)
    return scenario


def _check_facts(scenario: Scenario, source: str) -> None:
    """What a schema cannot say: unique ids, suppliers that exist, reserve ≤ start."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, m in enumerate(scenario.members):
        if m.id in seen:
            problems.append((f"members[{i}].id", f"duplicate member {m.id}"))
        seen.add(m.id)
        if m.role is Role.SUPPLIER and scenario.deposits.get(m.id):
            problems.append((f"members[{i}].deposit_fen", "only buyers pay deposits"))
    try:
        HallEngine(scenario.clock, scenario.market, scenario.members, scenario.lots)
    except EngineError as e:
        text = str(e)
        index = next(
            (i for i, lot in enumerate(scenario.lots) if text.startswith(f"lot {lot.id}:")), None
        )
        problems.append((f"lots[{index}]" if index is not None else "", text))
    if problems:
        raise ScenarioError(source, problems)


def _no_constant(name: str) -> object:
    # NaN and Infinity are not JSON (RFC 8259), though Python's reader takes them.
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def read_json(path: Path) -> object:
    """A scenario file's JSON (UTF-8); a missing file, a folder or bad JSON is a
    :class:`ScenarioError` naming the file."""
    zh = current_lang() == "zh"
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except FileNotFoundError:
        raise ScenarioError(str(path), [("", "找不到文件" if zh else "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError(
            str(path), [("", "这是一个目录，不是文件" if zh else "a directory, not a file")]
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ScenarioError(
            str(path), [("", f"不是有效的 JSON（{e}）" if zh else f"not valid JSON ({e})")]
        ) from None


def load_scenario(path: Path) -> Scenario:
    return parse_scenario(read_json(path), str(path))
