"""End to end in a real headless Chromium (Debian's ``chromium`` driven by Playwright's Python
API): an auctioneer opens the hall on his console, a buyer logs in and presses, sees the sale;
the display board shows it; the cashier finds it in the buyer's statement and its receipt
shows it. The server is the real application on a free port over a SQLite file.

Needs the ``playwright`` package (PyPI; its own browser download is not used) and Debian's
``chromium`` at /usr/bin/chromium (``.ci/run`` installs it)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiohttp import web
from argon2 import PasswordHasher
from playwright.async_api import Browser, Page, async_playwright, expect

from jiqun.market.core.events import AddLot, Deposit
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings
from jiqun.market.security import passwords
from jiqun.market.service.app import Service, build_app, service_of
from jiqun.market.service.consoles import yuan_text

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 20_000  # generous: a loaded 2-core CI machine renders slowly
FLAGS = ["--headless=new", "--no-sandbox", "--disable-background-networking"]
HALL = "1"
# A slow clock (1 fen every 200 ms from 6.00 元/kg) so that a browser has time to press.
CLOCK = ClockSettings(tick_ms=200, step_fen=1, pause_ms=1000, restart_steps=10, same_stop_ms=150)
FEES = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)
PASSWORD = "correct horse"
LOT = Lot(
    id="L001",
    supplier="S01",
    variety="黄瓜",
    grade="一级",
    units=50,
    unit_net_g=10_000,
    start_price_fen=600,
    reserve_price_fen=300,
    min_purchase=5,
    origin="寿光市",
    package="纸箱",
)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


async def _market(service: Service) -> None:
    for user, role in [("B01", "buyer"), ("S01", "supplier"), ("AUC", "auctioneer")]:
        await service.add_user(user, role, PASSWORD, hall=HALL)
    await service.add_user("CASH", "cashier", PASSWORD, hall=HALL)
    await service.runner.submit(HALL, lambda now: Deposit(now, "B01", 1_000_000))
    await service.runner.submit(HALL, lambda now: AddLot(now, LOT))


async def _page(browser: Browser) -> Page:
    context = await browser.new_context(locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    return await context.new_page()


async def _login(browser: Browser, url: str, user: str, target: str) -> Page:
    page = await _page(browser)
    await page.goto(f"{url}/login?next={target}")
    await page.fill("input[name=user]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(re.escape(target.split("?")[0])))
    return page


async def _scenario(tmp_path: Path) -> None:
    app = build_app(f"sqlite:///{tmp_path / 'market.db'}", "s" * 40, halls={HALL: (CLOCK, FEES)})
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}"
    try:
        await _market(service_of(app))
        expect.set_options(timeout=WAIT_MS)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                board = await _page(browser)
                await board.goto(f"{url}/board/{HALL}")
                await expect(board.locator("#f-id")).to_have_text("L001")

                buyer = await _login(browser, url, "B01", "/buyer")
                await expect(buyer.locator("#f-id")).to_have_text("L001")

                auctioneer = await _login(browser, url, "AUC", "/auctioneer")
                await expect(auctioneer.locator("#queue")).to_contain_text("L001")
                await auctioneer.click("#do-open")
                await expect(auctioneer.locator("#phase")).to_have_text("竞价中")

                # the clock runs on the buyer's screen; he buys 20 units with the space bar
                await expect(buyer.locator("#phase")).to_have_text("竞价中")
                await buyer.fill("#qty", "20")
                await buyer.locator("body").click()
                await buyer.keyboard.press("Space")
                result = buyer.locator("#result")
                await expect(result).to_contain_text("您买到 20件")
                found = re.search(r"@ (\d+)\.(\d\d)", await result.inner_text())
                assert found is not None
                price = int(found[1]) * 100 + int(found[2])
                assert 300 <= price <= 600
                # rulebook v1 §6, computed here: 20 × 10 kg at the price, fee 50 bp
                amount = (2 * price * 20 * 10_000 + 1000) // 2000
                buyer_fee = (2 * amount * 50 + 10_000) // 20_000

                # the board shows the sale among the last results
                await expect(board.locator("#results")).to_contain_text("B01")
                await expect(board.locator("#results")).to_contain_text("L001")

                # the auctioneer sees the press that bought
                await expect(auctioneer.locator("#presses")).to_contain_text("B01")

                # the cashier opens the buyer's statement and the sale's receipt
                cashier = await _login(browser, url, "CASH", "/cashier")
                await cashier.click("#members a[data-member=B01]")
                receipt_link = cashier.locator("#statement a[href^='/receipts/']").first
                await expect(receipt_link).to_be_visible()
                href = await receipt_link.get_attribute("href")
                assert href is not None
                await cashier.goto(url + href.replace("?lang=zh", ""))
                receipt = cashier.locator("#receipt")
                await expect(receipt.locator("#r-lot")).to_have_text("L001")
                await expect(receipt.locator("#r-buyer")).to_have_text("B01")
                await expect(receipt).to_contain_text(yuan_text(amount))
                await expect(receipt).to_contain_text(yuan_text(buyer_fee))
                await expect(receipt).to_contain_text(yuan_text(amount + buyer_fee))
            finally:
                await browser.close()
    finally:
        await runner.cleanup()


def test_buyer_presses_board_and_receipt_show_the_sale(tmp_path: Path) -> None:
    asyncio.run(asyncio.wait_for(_scenario(tmp_path), 90))


def _watch(page: Page, errors: list[str]) -> None:
    """Collect the page's script errors in ``errors`` as they happen."""
    page.on("pageerror", lambda e: errors.append(str(e)))


async def _consoles(tmp_path: Path) -> None:
    app = build_app(f"sqlite:///{tmp_path / 'market.db'}", "s" * 40, halls={HALL: (CLOCK, FEES)})
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        service = service_of(app)
        await _market(service)
        await service.add_user("ADM", "admin", PASSWORD, hall=HALL)
        expect.set_options(timeout=WAIT_MS)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                # the supplier registers a lot from the catalogue, with its certificate
                supplier = await _login(browser, url, "S01", "/supplier")
                errors: list[str] = []
                _watch(supplier, errors)
                form = supplier.locator("#register")
                await expect(form.locator("select[name=package] option")).not_to_have_count(0)
                await form.locator("select[name=variety]").select_option("番茄")
                await form.locator("select[name=grade]").select_option("特级")
                await form.locator("select[name=package]").select_option("纸箱5kg")
                await form.locator("input[name=units]").fill("40")
                await form.locator("input[name=start]").fill("5.20")
                await form.locator("input[name=reserve]").fill("3.5")
                await form.locator("input[name=certificate_no]").fill("HG-2026-001")
                await form.locator("button[type=submit]").click()
                await expect(supplier.locator("#message")).to_contain_text("成功")
                await expect(supplier.locator("#lots")).to_contain_text("番茄")
                await expect(supplier.locator("#lots")).to_contain_text("纸箱5kg")

                # the auctioneer sees it in the queue with its reserve, and withdraws it
                auctioneer = await _login(browser, url, "AUC", "/auctioneer")
                _watch(auctioneer, errors)
                row = auctioneer.locator("#queue tr", has_text="番茄")
                await expect(row).to_contain_text("5.20元")
                await expect(row).to_contain_text("3.50元")
                await row.locator("[data-withdraw]").click()
                await expect(row).to_contain_text("流拍")

                # the administrator suspends the buyer
                admin = await _login(browser, url, "ADM", "/admin")
                _watch(admin, errors)
                b01 = admin.locator("#users tr", has_text="B01")
                await b01.locator("[data-suspend]").click()
                await expect(b01).to_contain_text("已暂停")
                # … and gives him a daily limit of 800元 (the page asks in a prompt)
                admin.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept("800")))
                await b01.locator("[data-limit]").click()
                await expect(b01).to_contain_text("800.00")
                assert service.market.accounts.members["B01"].daily_limit_fen == 80_000

                # the cashier takes 1,234.50元 and prints its receipt
                cashier = await _login(browser, url, "CASH", "/cashier")
                _watch(cashier, errors)
                await cashier.locator("#cash-member").select_option("B01")
                await cashier.locator("#cash-amount").fill("1234.5")
                await cashier.locator("#do-deposit").click()
                await expect(cashier.locator("#message")).to_contain_text("1,234.50元")
                await expect(cashier.locator("#members")).to_contain_text("11,234.50元")
                href = await cashier.locator("#last-receipt").get_attribute("href")
                assert href is not None
                await cashier.goto(url + href)
                await expect(cashier.locator("#receipt")).to_contain_text("存款")
                await expect(cashier.locator("#receipt")).to_contain_text("1,234.50元")
                assert errors == []
            finally:
                await browser.close()
    finally:
        await runner.cleanup()


def test_consoles_in_the_browser(tmp_path: Path) -> None:
    asyncio.run(asyncio.wait_for(_consoles(tmp_path), 120))
