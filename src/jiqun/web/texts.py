"""The pages' words in Chinese (the default) and English (``?lang=en``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

PageLang = Literal["zh", "en"]

TEXTS: dict[str, tuple[str, str]] = {
    "market": ("寿光蔬菜批发市场 · 拍卖大厅", "Shouguang vegetable market · auction hall"),
    "hall": ("拍卖厅", "Hall"),
    "board": ("大屏", "Display board"),
    "buyer_console": ("买家终端", "Buyer console"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "user": ("用户名", "User"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误", "wrong user or password"),
    "product": ("品名", "Product"),
    "origin": ("产地", "Origin"),
    "grade": ("等级", "Grade"),
    "quantity": ("数量", "Quantity"),
    "package": ("包装", "Package"),
    "supplier": ("供货商", "Supplier"),
    "max_start": ("最高起拍价", "Maximum starting price"),
    "min_purchase": ("最低购买量", "Minimum purchase"),
    "next_lots": ("后续批次", "Next lots"),
    "last_results": ("最近成交", "Last results"),
    "lot": ("批次", "Lot"),
    "units": ("件", "units"),
    "yuan_kg": ("元/公斤", "yuan/kg"),
    "yuan": ("元", "yuan"),
    "price": ("价格", "Price"),
    "buyer": ("买家", "Buyer"),
    "withdrawn": ("流拍", "withdrawn"),
    "sold": ("成交", "sold"),
    "waiting": ("等待开拍", "waiting"),
    "running": ("竞价中", "running"),
    "window": ("已停钟", "stopped"),
    "closed": ("今日拍卖结束", "no lot left"),
    "idle": ("未开市", "not open"),
    "connecting": ("连接中…", "connecting…"),
    "offline": ("连接断开，正在重连…", "disconnected, reconnecting…"),
    "press": ("按键购买", "BUY"),
    "press_hint": ("按空格键或点击按钮购买", "press the space bar or the button"),
    "balance": ("余额", "Balance"),
    "spent_today": ("今日已购", "Bought today"),
    "daily_limit": ("每日限额", "Daily limit"),
    "purchases": ("今日购买", "Today's purchases"),
    "none": ("无", "none"),
    "rejected": ("未成交", "rejected"),
    "you_bought": ("您买到", "You bought"),
    "remaining": ("剩余", "Remaining"),
    "reason_wrong_lot": ("批次已变", "the lot has changed"),
    "reason_no_running_clock": ("时钟未运行", "the clock is not running"),
    "reason_sold_out": ("已售完", "sold out"),
    "reason_bad_quantity": ("数量不正确", "bad quantity"),
    "reason_below_minimum": ("低于最低购买量", "below the minimum purchase"),
    "reason_insufficient_funds": ("余额不足", "insufficient funds"),
    "reason_over_daily_limit": ("超过每日限额", "over the daily limit"),
    "reason_rate_limited": ("操作太快", "too many presses"),
    "reason_forbidden": ("无权操作", "not allowed"),
    "reason_suspended": ("账户已暂停", "account suspended"),
    "language": ("English", "中文"),
}


def page_lang(value: str | None) -> PageLang:
    return "en" if value == "en" else "zh"


def texts(lang: PageLang, extra: Mapping[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """The shared page words in ``lang``, with a feature's ``extra`` words added."""
    i = 0 if lang == "zh" else 1
    return {key: pair[i] for key, pair in {**TEXTS, **(extra or {})}.items()}
