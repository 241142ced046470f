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
    "held": ("已暂停", "paused"),
    # the site: home page and the navigation bar (nav.html)
    "site_name": ("寿光蔬菜批发市场", "Shouguang Vegetable Wholesale Market"),
    "site_tagline": (
        "荷兰式电子钟拍卖 · 一卡通电子结算 · 质量检测 · 价格信息中心",
        "Dutch clock auction · one-card settlement · quality testing · price information",
    ),
    "nav_main": ("网站导航", "Site navigation"),
    "nav_home": ("首页", "Home"),
    "nav_prices": ("价格行情", "Prices"),
    "nav_index": ("价格指数", "Price index"),
    "nav_trace": ("质量追溯", "Trace"),
    "nav_sealed": ("密封投标", "Sealed bids"),
    "nav_observatory": ("集群监测", "Observatory"),
    "nav_voice": ("语音报价", "Voice prices"),
    "nav_buyer": ("买家终端", "Buyer console"),
    "nav_supplier": ("供货商终端", "Supplier console"),
    "nav_auctioneer": ("拍卖师控制台", "Auctioneer console"),
    "nav_cashier": ("收银台", "Cashier console"),
    "nav_admin": ("管理后台", "Administration"),
    "nav_inspector": ("质检员终端", "Inspector console"),
    "nav_language": ("语言", "Language"),
    "role_buyer": ("买家", "buyer"),
    "role_supplier": ("供货商", "supplier"),
    "role_auctioneer": ("拍卖师", "auctioneer"),
    "role_cashier": ("收银员", "cashier"),
    "role_inspector": ("检测员", "inspector"),
    "role_admin": ("管理员", "administrator"),
    "home_halls": ("拍卖厅大屏", "Auction hall boards"),
    "home_halls_none": ("尚未设立拍卖厅", "no auction hall yet"),
    "home_public": ("公开信息", "Public information"),
    "home_prices_note": ("每日成交价格、历史走势与下载", "daily prices, history and downloads"),
    "home_index_note": ("定基、环比与同比指数", "fixed-base, chain and year-on-year index"),
    "home_sealed_note": ("会员登录后查看与投标", "members log in to see and bid"),
    "home_observatory_note": ("产业集群统计分析与报告", "cluster statistics and reports"),
    "home_trace_label": ("追溯码", "Trace code"),
    "home_trace_hint": ("输入包装上的追溯码", "the code printed on the package"),
    "home_trace_go": ("查询", "Look up"),
    "home_trace_empty": ("请输入追溯码", "enter a trace code"),
    "home_consoles": ("我的终端", "My consoles"),
    "home_logged_in": ("已登录", "Logged in as"),
    "home_login_hint": (
        "会员（买家、供货商）和工作人员登录后使用各自的终端。",
        "Members (buyers, suppliers) and staff log in to use their consoles.",
    ),
}


def page_lang(value: str | None) -> PageLang:
    return "en" if value == "en" else "zh"


def texts(lang: PageLang, extra: Mapping[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """The shared page words in ``lang``, with a feature's ``extra`` words added."""
    i = 0 if lang == "zh" else 1
    return {key: pair[i] for key, pair in {**TEXTS, **(extra or {})}.items()}
