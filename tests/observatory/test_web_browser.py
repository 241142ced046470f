"""The observatory's upload form in a real headless Chromium (Playwright, Debian's chromium):
a staff user logs in, uploads the demo register — bigger than the app's 64 KiB body limit,
so it only gets through because the page's script sends the CSRF token as a header and the
server streams the body — and lands on the survey; a bad file shows its error on the page.

Needs the ``playwright`` package and /usr/bin/chromium (as tests/e2e)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiohttp import web
from argon2 import PasswordHasher
from playwright.async_api import async_playwright

from jiqun.market.core.model import ClockSettings, MarketSettings
from jiqun.market.security import passwords
from jiqun.market.service.app import build_app, service_of
from jiqun.observatory import demo_register

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; .ci/run installs it
WAIT_MS = 60_000  # drawing the charts on a loaded 2-core machine takes seconds
PASSWORD = "correct horse"
HALLS = {
    "1": (
        ClockSettings(tick_ms=100, step_fen=2, pause_ms=300, restart_steps=10, same_stop_ms=150),
        MarketSettings(seller_commission_bps=300, buyer_fee_bps=50),
    )
}


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


async def _scenario(tmp_path: Path) -> None:
    register = tmp_path / "诸城名录.xlsx"
    demo_register.write(demo_register.generate(), register)
    assert register.stat().st_size > 64 * 1024
    bad = tmp_path / "bad.csv"
    bad.write_text("年度,企业名称,镇街,主营业务收入（万元）\n2024,甲厂,昌城镇,abc\n", "utf-8")
    app = build_app(f"sqlite:///{tmp_path / 'market.db'}", "s" * 40, halls=HALLS)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        await service_of(app).add_user("obs", "admin", PASSWORD)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"]
            )
            try:
                page = await browser.new_page()
                page.set_default_timeout(WAIT_MS)
                await page.goto(f"{url}/login?next=/observatory")
                await page.fill("input[name=user]", "obs")
                await page.fill("input[name=password]", PASSWORD)
                await page.click("button[type=submit]")
                await page.wait_for_url(re.compile(r"/observatory$"))

                await page.set_input_files("input[name=register]", str(register))
                await page.fill("input[name=city]", "诸城市")
                await page.click("form#upload button")
                await page.wait_for_url(re.compile(r"/observatory/r/[\w-]+\?lang=zh$"))
                assert await page.title() == "诸城市产业集群发展现状（2024年）"
                assert "数据来源：诸城名录.xlsx" in await page.inner_text("p.meta")
                cells = await page.locator("td").all_inner_texts()
                assert "1420000" in cells  # the seed's textile revenue (万元)

                await page.goto(f"{url}/observatory?lang=en")
                await page.set_input_files("input[name=register]", str(bad))
                await page.click("form#upload button")
                errors = page.locator("section.errors")
                await errors.wait_for()
                text = await errors.inner_text()
                assert "bad.csv, row 2" in text and "'abc'" in text and "not a number" in text
                assert page.url.endswith("/observatory?lang=en")  # shown in place
            finally:
                await browser.close()
    finally:
        await runner.cleanup()


def test_upload_form_in_a_browser(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))
