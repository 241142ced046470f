"""What the market's commands print: statements, reconciliations, times (Chinese by default).

Amounts are printed in yuan from integer fen (:func:`jiqun.market.core.money.yuan`), never
through floats. Market times are milliseconds; the ones that look like Unix times are shown
in China Standard Time (UTC+8, no daylight saving), the small ones of simulated days as
milliseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from jiqun.i18n import Lang, current_lang
from jiqun.market.core.money import yuan
from jiqun.observatory.errors import UserError

if TYPE_CHECKING:  # the ledger (SQLAlchemy) only for the types: every command imports this
    from jiqun.market.ledger import Reconciliation, Statement

CST = timezone(timedelta(hours=8), "CST")
UNIX_2000_MS = 946_684_800_000


class MarketProblem(UserError):
    """A user's mistake on a market command, in both languages."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(self.lines()[0])

    def lines(self, lang: Lang | None = None) -> list[str]:
        return [self.zh if (lang or current_lang()) == "zh" else self.en]


def parse_time(text: str, *, end: bool = False) -> int:
    """Milliseconds from ``--from``/``--to``: an integer of ms, a date (the day's start, or
    with ``end`` the next day's start: ``--to 2026-11-27`` includes that day), or a date and
    time, in China Standard Time unless an offset is given."""
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            moment = datetime(day.year, day.month, day.day, tzinfo=CST)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=CST)
    except ValueError:
        raise MarketProblem(
            f"无法识别的时间“{text}”：请使用 2026-11-27、2026-11-27T08:30 或毫秒数",
            f"unrecognised time '{text}': use 2026-11-27, 2026-11-27T08:30 or milliseconds",
        ) from None
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)  # integers all the way: no float seconds
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def show_time(ms: int) -> str:
    if ms >= UNIX_2000_MS:
        moment = datetime.fromtimestamp(ms // 1000, CST)
        return moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{ms % 1000:03d}" if ms % 1000 else "")
    return f"{ms} ms"


ITEMS: dict[str, tuple[str, str]] = {
    "purchase": ("购货款", "purchase"),
    "buyer_fee": ("买方手续费", "buyer fee"),
    "sale": ("销售货款", "sale"),
    "commission": ("佣金", "commission"),
    "deposit": ("存款", "deposit"),
    "withdrawal": ("取款", "withdrawal"),
    "payout": ("货款结算付出", "payout"),
    "sealed_purchase": ("拍品货款（密封投标）", "sealed-bid purchase"),
    "sealed_sale": ("拍品销售款（密封投标）", "sealed-bid sale"),
    "other": ("其他", "other"),
}

CHECK_LABELS: dict[str, tuple[str, str]] = {
    "journal_sums_to_zero": ("借贷合计为零", "the journal sums to zero"),
    "balances_equal_entries": ("账户余额等于分录之和", "every account equals its entries"),
    "wallets_not_negative": ("钱包与待付货款不为负", "no wallet or proceeds below zero"),
    "sales_equal_postings": ("成交与分录一致", "sales equal their postings"),
    "reversals_mirror_originals": ("冲正与原交易相反", "reversals mirror their originals"),
    "cash_equals_movements": (
        "现金等于存款减取款减付款",
        "cash equals deposits minus withdrawals and payouts",
    ),
}


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "zh" else pair[1]


def statement_text(s: Statement, lang: Lang | None = None) -> str:
    lang = lang or current_lang()
    zh = lang == "zh"
    period = f"{show_time(s.from_ms)} – {show_time(s.to_ms)}"
    head = (
        f"对账单：{s.member}（{s.account}），期间 {period}"
        if zh
        else f"Statement of {s.member} ({s.account}), {period}"
    )
    cols = ("时间", "凭证", "项目", "金额（元）", "余额（元）", "说明")
    if not zh:
        cols = ("time", "voucher", "item", "amount (yuan)", "balance (yuan)", "detail")
    rows: list[tuple[str, ...]] = [
        cols,
        ("", "", "期初余额" if zh else "opening", "", yuan(s.opening_fen), ""),
    ]
    for line in s.lines:
        item = _pick(ITEMS.get(line.item, ITEMS["other"]), lang)
        if line.reversal:
            item = ("冲正：" if zh else "reversal: ") + item
        rows.append(
            (
                show_time(line.at_ms),
                line.key,
                item,
                yuan(line.amount_fen),
                yuan(line.balance_fen),
                line.detail,
            )
        )
    rows.append(("", "", "期末余额" if zh else "closing", "", yuan(s.closing_fen), ""))
    return head + "\n" + _table(rows, right=(3, 4)) + "\n"


def reconciliation_text(r: Reconciliation, where: str, lang: Lang | None = None) -> str:
    lang = lang or current_lang()
    zh = lang == "zh"
    out = [
        f"对账：{where}（交易 {r.transactions} 笔）"
        if zh
        else f"Reconciliation of {where} ({r.transactions} transactions)"
    ]
    for check in r.checks:
        label = _pick(CHECK_LABELS.get(check.name, (check.name, check.name)), lang)
        out.append(
            f"{'OK    ' if check.ok else 'BROKEN'}  {label}（{check.name}）"
            if zh
            else f"{'OK    ' if check.ok else 'BROKEN'}  {label} ({check.name})"
        )
        out += [f"        {detail}" for detail in check.details]
    if r.ok:
        out.append("结果：全部平衡" if zh else "result: everything balances")
    else:
        names = ", ".join(r.broken)
        out.append(
            f"结果：{len(r.broken)} 项不平（{names}）"
            if zh
            else f"result: {len(r.broken)} broken ({names})"
        )
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) >= 0x1100 else 1 for ch in text)


def _table(rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> str:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            cells.append(pad + cell if i in right else cell + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
