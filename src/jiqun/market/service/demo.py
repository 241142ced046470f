"""The demo market: Shouguang vegetables on a live server, with simulated remote buyers.

:func:`setup` fills an empty market through the running service (the same inputs a real day
journals): staff, suppliers, buyers with deposits, the catalogue's varieties in their grades and
packages, and a morning's lots in hall 1 at realistic prices (fen per kg). Hall 2 is left idle
for ``jiqun market loadtest``. :func:`start` serves it on a port and keeps hall 1's queue from
running dry (:func:`keep_lots_coming`) while a few dozen :class:`~.bots.Bot` s press over real
WebSockets; :func:`serve` is ``jiqun demo``'s server, stopped by Ctrl-C.

Every demo login has the password :data:`PASSWORD`, and the demo's process hashes passwords with
light Argon2 parameters (:func:`light_passwords`) so that hundreds of simulated buyers can log
in at once; ``jiqun serve`` keeps the production parameters.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from argon2 import PasswordHasher

from jiqun import aio
from jiqun.market.core.events import Deposit
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings
from jiqun.market.journal import DurableMarket
from jiqun.market.quality import service as quality_service
from jiqun.market.quality.intake import Certificate
from jiqun.market.security import passwords
from jiqun.market.service import bots
from jiqun.market.service.app import Service, build_app, service_of

PASSWORD = "password"
HALL, LOAD_HALL = "1", "2"
CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=3000, restart_steps=10, same_stop_ms=150)
LOAD_CLOCK = ClockSettings(
    tick_ms=100, step_fen=2, pause_ms=1500, restart_steps=10, same_stop_ms=150
)
FEES = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)
HALLS = {HALL: (CLOCK, FEES), LOAD_HALL: (LOAD_CLOCK, FEES)}
STAFF = [
    ("ADMIN", "admin", "管理员"),
    ("AUC", "auctioneer", "拍卖师"),
    ("CASH", "cashier", "收银员"),
    ("INSP", "inspector", "检测员"),
]
HUMAN_BUYERS = 10  # B001 … B010 are for people; the bots are the buyers after them
DB_NAME = "market.db"


@dataclass(frozen=True)
class Variety:
    name: str
    category: str
    package: str
    unit_net_g: int
    price_fen: int  # a typical 一级 wholesale price, fen per kg


# Prices of a Shouguang wholesale morning (元/kg × 100); packages with standard net weights.
CATALOGUE = [
    Variety("黄瓜", "瓜类", "纸箱", 10_000, 320),
    Variety("番茄", "茄果类", "纸箱", 10_000, 460),
    Variety("茄子", "茄果类", "塑料筐", 15_000, 300),
    Variety("辣椒", "茄果类", "纸箱", 10_000, 520),
    Variety("彩椒", "茄果类", "纸箱", 5_000, 880),
    Variety("西葫芦", "瓜类", "塑料筐", 15_000, 240),
    Variety("大白菜", "白菜类", "网袋", 25_000, 90),
    Variety("菠菜", "绿叶菜类", "泡沫箱", 7_500, 560),
    Variety("芹菜", "绿叶菜类", "捆", 10_000, 260),
    Variety("韭菜", "葱蒜类", "泡沫箱", 5_000, 480),
    Variety("苦瓜", "瓜类", "纸箱", 10_000, 600),
    Variety("丝瓜", "瓜类", "纸箱", 10_000, 420),
]
GRADES = [("特级", 1.2, 2), ("一级", 1.0, 5), ("二级", 0.8, 3)]  # (grade, price factor, weight)
ORIGINS = [
    "寿光市古城街道",
    "寿光市孙家集街道",
    "寿光市洛城街道",
    "寿光市稻田镇",
    "寿光市纪台镇",
    "寿光市化龙镇",
    "寿光市田柳镇",
    "寿光市上口镇",
]
SUPPLIERS = [
    ("S001", "稻田镇瓜菜专业合作社"),
    ("S002", "纪台镇绿丰蔬菜合作社"),
    ("S003", "孙家集三元朱村种植户"),
    ("S004", "化龙镇裴岭果菜合作社"),
    ("S005", "古城街道田园种植户"),
    ("S006", "洛城街道东斟灌村大棚户"),
    ("S007", "田柳镇鑫源蔬菜经纪人"),
    ("S008", "上口镇佛家村种植户"),
]


def light_passwords() -> None:
    """Argon2 with light parameters for this process (the demo's many simulated logins)."""
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def buyer_ids(count: int, first: int = 1) -> list[str]:
    return [f"B{n:03d}" for n in range(first, first + count)]


def make_lot(rng: random.Random, lot_id: str) -> Lot:
    """A realistic lot: catalogue variety, grade, package, supplier, prices in fen per kg."""
    variety = rng.choice(CATALOGUE)
    grade, factor, _ = rng.choices(GRADES, weights=[g[2] for g in GRADES])[0]
    typical = round(variety.price_fen * factor * rng.uniform(0.92, 1.08))
    start = typical + 2 * rng.randint(12, 30)  # 最高起拍价: a few seconds above the market
    reserve = max(2, round(typical * rng.uniform(0.7, 0.85)))
    units = rng.choice([30, 40, 50, 60, 80, 100, 120, 150])
    return Lot(
        id=lot_id,
        supplier=rng.choice(SUPPLIERS)[0],
        variety=variety.name,
        grade=grade,
        units=units,
        unit_net_g=variety.unit_net_g,
        start_price_fen=start,
        reserve_price_fen=reserve,
        min_purchase=5 if units <= 60 else 10,
        origin=rng.choice(ORIGINS),
        package=variety.package,
        category=variety.category,
    )


async def add_lots(service: Service, hall: str, count: int, rng: random.Random) -> list[str]:
    """``count`` new lots at the end of the hall's queue (ids continue the hall's numbering)."""
    known = await service.runner.call(lambda m: len(m.halls[hall].state.lots))
    ids = []
    for n in range(known + 1, known + count + 1):
        lot = make_lot(rng, f"{hall}-{n:04d}")
        # Through the quality centre's intake (M8): each lot comes with its grower's
        # commitment certificate, so it is released onto the clock and has a trace page.
        await quality_service.receive(service, hall, lot, Certificate(f"HG-{lot.id}"))
        ids.append(lot.id)
    return ids


async def setup(service: Service, *, buyers: int = 40, lots: int = 24, seed: int = 7) -> None:
    """Fill an empty demo market (see the module's docstring) and open hall 1."""
    rng = random.Random(seed)
    for user, role, name in STAFF:
        await service.add_user(user, role, PASSWORD, name, hall=HALL)
    for user, name in SUPPLIERS:
        await service.add_user(user, "supplier", PASSWORD, name, hall=HALL)
    for user in buyer_ids(buyers):
        await service.add_user(user, "buyer", PASSWORD, f"批发商{user}", hall=HALL)
        amount = rng.randint(5, 20) * 1_000_000  # 5 to 20 万元 on the one-card
        await service.runner.submit(HALL, partial(Deposit, member=user, amount_fen=amount))
    await add_lots(service, HALL, lots, rng)
    await service.open_hall(HALL)


async def keep_lots_coming(
    service: Service, hall: str, rng: random.Random, low: int = 4, batch: int = 8
) -> None:
    """Add lots whenever the hall's queue runs low, so that the demo never ends."""
    while True:
        left = await service.runner.call(lambda m: _lots_left(m, hall))
        if left < low:
            await add_lots(service, hall, batch, rng)
        await asyncio.sleep(1.0)


def _lots_left(market: DurableMarket, hall: str) -> int:
    s = market.halls[hall].state
    return sum(1 for ls in s.lots[s.current :] if ls.remaining > 0)


DEMO_BEHAVIOUR = bots.Behaviour(
    like_steps=(8, 45), reaction_ms=(200, 700), window_steps=2, share_probability=0.4
)


@dataclass
class DemoServer:
    """A running demo: the server, its lot feeder and its simulated buyers."""

    runner: web.AppRunner
    service: Service
    url: str
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    bots: list[bots.Bot] = field(default_factory=list)
    http: Any = None
    stop_bots: asyncio.Event = field(default_factory=asyncio.Event)

    async def close(self) -> None:
        self.stop_bots.set()
        for bot in self.bots:
            bot.pressing = False
            with contextlib.suppress(Exception):
                await bot.close()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.http is not None:
            await self.http.close()
        await self.runner.cleanup()


def fresh_database(folder: Path) -> str:
    """The demo's SQLite URL in ``folder``, emptied (refused while another demo holds it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DB_NAME
    if path.exists():
        DurableMarket.open(f"sqlite:///{path}", create=False).close()  # raises if in use
    for p in folder.glob(DB_NAME + "*"):
        p.unlink()
    return f"sqlite:///{path}"


async def start(
    folder: Path,
    port: int = 0,
    *,
    bot_count: int = 30,
    lots: int = 24,
    seed: int = 7,
    host: str = "127.0.0.1",
) -> DemoServer:
    """Create the demo market in ``folder`` and serve it (port 0: a free one)."""
    app = build_app(fresh_database(folder), secrets.token_urlsafe(32), halls=HALLS)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()  # closes the market
        raise
    bound = runner.addresses[0][1]
    service = service_of(app)
    demo = DemoServer(runner, service, f"http://{host}:{bound}")
    try:
        buyers = HUMAN_BUYERS + bot_count
        await setup(service, buyers=buyers, lots=lots, seed=seed)
        loop = asyncio.get_running_loop()
        demo.tasks.append(loop.create_task(keep_lots_coming(service, HALL, random.Random(seed))))
        if bot_count:
            demo.http = bots.session()
            metrics = bots.Metrics()
            for i, user in enumerate(buyer_ids(bot_count, HUMAN_BUYERS + 1)):
                bot = bots.Bot(
                    demo.http,
                    demo.url,
                    HALL,
                    user,
                    PASSWORD,
                    metrics,
                    DEMO_BEHAVIOUR,
                    random.Random(seed * 1000 + i),
                )
                demo.bots.append(bot)
                demo.tasks.append(loop.create_task(_bot_life(bot, demo.stop_bots)))
    except BaseException:
        await demo.close()
        raise
    return demo


async def _bot_life(bot: bots.Bot, stop: asyncio.Event) -> None:
    """Log in, connect, press; reconnect after a drop (as a remote buyer's page does)."""
    await asyncio.sleep(bot.rng.random() * 2)  # buyers arrive over a couple of seconds
    while not stop.is_set():
        try:
            if not bot.cookie:
                await bot.login()
            await bot.connect()
            await bot.run(stop)
        except (OSError, RuntimeError, ValueError) as e:
            if "login" in str(e):
                bot.cookie = ""
        await asyncio.sleep(1.0 + bot.rng.random())


def addresses(url: str) -> list[tuple[str, str]]:
    return [
        ("首页 home", f"{url}/"),
        ("大屏 display board, hall 1", f"{url}/board/{HALL}"),
        ("买家 buyer console", f"{url}/login?next=/buyer"),
        ("工作人员 staff consoles (auctioneer, cashier, supplier, admin)", f"{url}/staff"),
        ("质检 inspector", f"{url}/login?next=/inspector"),
        ("价格信息 prices and price index", f"{url}/prices"),
        ("语音查价 voice price query", f"{url}/login?next=/voice"),
        ("密封投标 sealed-bid auctions", f"{url}/sealed"),
        ("产业集群 observatory", f"{url}/observatory"),
        ("API (OpenAPI)", f"{url}/api/openapi.json"),
        ("大屏 hall 2 (idle, for jiqun market loadtest)", f"{url}/board/{LOAD_HALL}"),
    ]


def logins() -> list[tuple[str, str]]:
    return [
        ("buyers B001 … B010", PASSWORD),
        ("auctioneer AUC, cashier CASH, inspector INSP, admin ADMIN", PASSWORD),
        ("suppliers S001 … S008", PASSWORD),
    ]


async def serve(
    folder: Path,
    port: int,
    *,
    bot_count: int = 30,
    announce: Callable[[DemoServer], None] | None = None,
) -> None:
    """Run the demo until cancelled (Ctrl-C), then close everything."""
    light_passwords()
    demo = await start(folder, port, bot_count=bot_count)
    try:
        if announce is not None:
            announce(demo)
        await asyncio.Event().wait()
    finally:
        await demo.close()


def main(argv: list[str] | None = None) -> None:
    """``python -m jiqun.market.service.demo --dir D --port P --bots N``: a demo server that
    prints ``ready URL`` on a line when it serves (the load test's subprocess)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bots", type=int, default=0)
    args = parser.parse_args(argv)

    def ready(demo: DemoServer) -> None:
        print(f"ready {demo.url}", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        aio.run(serve(args.dir, args.port, bot_count=args.bots, announce=ready), server=True)


if __name__ == "__main__":
    main(sys.argv[1:])
