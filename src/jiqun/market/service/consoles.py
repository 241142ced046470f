"""What the staff consoles share: submitting a journal input under a request id, reading
the members, the consoles' page words and amounts in yuan as receipts print them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from jiqun.market.core.events import Input, Output
from jiqun.market.journal import DurableMarket
from jiqun.market.service.app import Refused, Service, service_of
from jiqun.market.service.idempotency import Claim
from jiqun.market.store import schema as t

WORDS: dict[str, tuple[str, str]] = {
    "staff": ("工作人员", "Staff"),
    "auctioneer_console": ("拍卖师控制台", "Auctioneer console"),
    "cashier_console": ("收银台", "Cashier console"),
    "supplier_console": ("供货商终端", "Supplier console"),
    "admin_console": ("管理后台", "Administration"),
    "receipt": ("收据", "Receipt"),
    "members": ("会员", "Members"),
    "member": ("会员", "Member"),
    "name": ("名称", "Name"),
    "role": ("角色", "Role"),
    "amount": ("金额", "Amount"),
    "amount_yuan": ("金额（元）", "Amount (yuan)"),
    "deposit": ("存款", "Deposit"),
    "withdrawal": ("取款", "Withdrawal"),
    "payout": ("货款支付", "Payout"),
    "purchase": ("购买", "Purchase"),
    "sale": ("成交", "Sale"),
    "card_deposit": ("卡押金", "Card deposit"),
    "buyer_fee": ("买方手续费", "Buyer's fee"),
    "commission": ("佣金", "Commission"),
    "other": ("其他", "Other"),
    "cards": ("一卡通", "Cards"),
    "card_no": ("卡号", "Card no."),
    "issue_card": ("发卡", "Issue card"),
    "submit": ("提交", "Submit"),
    "transactions": ("交易记录", "Transactions"),
    "time": ("时间", "Time"),
    "kind": ("类型", "Kind"),
    "print": ("打印", "Print"),
    "total": ("合计", "Total"),
    "buyer_pays": ("买方应付", "Buyer pays"),
    "supplier_gets": ("供货商应得", "Supplier receives"),
    "weight": ("重量", "Weight"),
    "unit_price": ("单价", "Unit price"),
    "account": ("账户", "Account"),
    "key": ("单号", "Reference"),
    "suspended": ("已暂停", "suspended"),
    "active": ("正常", "active"),
    "ok": ("成功", "done"),
    "error": ("错误", "error"),
    "halls": ("拍卖厅", "Halls"),
    "queue": ("今日批次", "Today's lots"),
    "open": ("开市", "Open"),
    "pause": ("暂停", "Pause"),
    "resume": ("继续", "Resume"),
    "speed": ("速度（毫秒/格）", "Speed (ms per tick)"),
    "step": ("步长（分）", "Step (fen)"),
    "set_clock": ("设定时钟", "Set clock"),
    "withdraw_lot": ("撤拍", "Withdraw"),
    "move_up": ("上移", "Up"),
    "live_presses": ("实时按键", "Live presses"),
    "held": ("已暂停", "held"),
    "reserve": ("保留价", "Reserve price"),
    "status": ("状态", "Status"),
    "rounds": ("轮次", "Rounds"),
    "register_lot": ("登记批次", "Register a lot"),
    "variety": ("品种", "Variety"),
    "my_lots": ("我的批次", "My lots"),
    "sales": ("成交记录", "Sales"),
    "proceeds": ("货款余额", "Proceeds"),
    "net_g": ("标准净重（克）", "Standard net weight (g)"),
    "start_price": ("最高起拍价（分/公斤）", "Max. starting price (fen/kg)"),
    "reserve_price": ("保留价（分/公斤）", "Reserve price (fen/kg)"),
    "category": ("类别", "Category"),
    "catalogue": ("商品目录", "Catalogue"),
    "staff_users": ("用户与角色", "Users and roles"),
    "add_user": ("新增用户", "Add a user"),
    "suspend": ("暂停", "Suspend"),
    "reinstate": ("恢复", "Reinstate"),
    "set_limit": ("修改限额", "Change limit"),
    "limit_prompt": ("每日限额（元），留空为不限：", "Daily limit in yuan (empty: no limit):"),
    "disable": ("停用", "Disable"),
    "enable": ("启用", "Enable"),
    "fees": ("费率", "Fees"),
    "commission_bps": ("卖方佣金（基点）", "Seller commission (bp)"),
    "buyer_fee_bps": ("买方手续费（基点）", "Buyer fee (bp)"),
    "code": ("代码", "Code"),
    "standard_code": ("NY/T 2137 代码", "NY/T 2137 code"),
    "add": ("添加", "Add"),
    "price": ("价格", "Price"),
    "result": ("结果", "Result"),
    "tick": ("格", "Tick"),
    "on_clock": ("拍卖中", "on the clock"),
    "pending": ("待拍", "waiting"),
    "done": ("已结束", "done"),
    "auctioneer": ("拍卖师", "auctioneer"),
    "inspector": ("检测员", "inspector"),
    "cashier": ("收银员", "cashier"),
    "admin": ("管理员", "administrator"),
    "disabled": ("已停用", "disabled"),
    "certificate_no": ("合格证编号", "Certificate no."),
    "testing": ("待检测", "to be tested"),
    "reason_supplier_suspended": (
        "供货商已被暂停，不能登记批次",
        "the supplier is suspended: no lots can be registered",
    ),
}

KIND_WORDS = ("deposit", "withdrawal", "payout", "purchase", "sale", "card_deposit")


def yuan_text(fen: int, lang: str = "zh") -> str:
    """Fen as receipts print yuan: 123450 → "1,234.50元" ("1,234.50 yuan" in English)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    number = f"{sign}{whole:,}.{cents:02d}"
    return f"{number}元" if lang == "zh" else f"{number} yuan"


@dataclass(frozen=True)
class Submitted:
    seq: int  # the journal input's sequence number: its outputs' ledger keys derive from it
    outputs: list[Output]


async def submit(
    service: Service,
    hall: str,
    make: Callable[[int], Input],
    claim: Claim | None,
    kind: str,
    check: Callable[[DurableMarket], None] | None = None,
) -> Submitted:
    """Journal one input (``kind``: its journal name) after ``check``, recording it in the
    request's claim; the outputs come back after the commit."""
    seqs: list[int] = []

    def checks(m: DurableMarket) -> None:
        if check is not None:
            check(m)
        if claim is not None:
            claim.check(kind)(m)
        seqs.append(m.seq + 1)

    outputs = await service.runner.submit(hall, make, checks)
    return Submitted(seqs[-1], outputs)


def members_view(m: DurableMarket) -> list[dict[str, Any]]:
    """Every market member with balance, suspension and daily limit (writer thread)."""
    a = m.accounts
    return [
        {
            "id": member.id,
            "role": member.role.value,
            "balance_fen": a.balances.get(member.id, 0),
            "spent_today_fen": a.spent_today.get(member.id, 0),
            "daily_limit_fen": member.daily_limit_fen,
            "suspended": member.suspended,
        }
        for member in sorted(a.members.values(), key=lambda x: x.id)
    ]


def _users_and_cards(engine: sa.Engine) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    with engine.connect() as conn:
        users = {
            row.id: {"name": row.name, "role": row.role, "disabled": bool(row.disabled)}
            for row in conn.execute(sa.select(t.users).order_by(t.users.c.id))
        }
        cards: dict[str, list[dict[str, Any]]] = {}
        for row in conn.execute(sa.select(t.cards).order_by(t.cards.c.card_no)):
            cards.setdefault(row.member_id, []).append(
                {"card_no": row.card_no, "deposit_fen": int(row.deposit_fen)}
            )
    return users, cards


async def members(service: Service) -> list[dict[str, Any]]:
    """The members with their names and one-card cards."""
    found = await service.runner.call(members_view)
    loop = asyncio.get_running_loop()
    users, cards = await loop.run_in_executor(None, _users_and_cards, service.market.engine)
    for member in found:
        member["name"] = users.get(member["id"], {}).get("name", "")
        member["cards"] = cards.get(member["id"], [])
    return found


async def users_list(service: Service) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    users, _ = await loop.run_in_executor(None, _users_and_cards, service.market.engine)
    return users


def hall_of(request: web.Request, hall: object = None) -> str:
    """A known hall named in the path, the query or ``hall``."""
    service = service_of(request.app)
    name = request.match_info.get("hall") or hall or request.query.get("hall")
    if not isinstance(name, str) or name not in service.market.configs:
        raise Refused(404, "unknown_hall")
    return name


def text_field(data: dict[str, Any], name: str, *, required: bool = True, most: int = 64) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > most or (required and not value):
        raise Refused(400, f"bad_{name}")
    return value


def int_field(data: dict[str, Any], name: str, *, low: int = 0, high: int = 10**12) -> int:
    value = data.get(name)
    if type(value) is not int or not low <= value <= high:
        raise Refused(400, f"bad_{name}")
    return value
