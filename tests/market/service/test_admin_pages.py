"""The staff pages: every word they use exists in both languages; the consoles' index."""

from __future__ import annotations

import re
from pathlib import Path

from jiqun.market.service.app import WEB
from jiqun.market.service.consoles import WORDS
from jiqun.web.texts import texts
from tests.market.service.conftest import live, run

PAGES = (
    "staff_base",
    "staff_index",
    "cashier",
    "cashier_receipt",
    "auctioneer",
    "supplier",
    "admin",
)


def test_every_word_of_the_staff_pages_exists_in_both_languages() -> None:
    for lang in ("zh", "en"):
        words = texts(lang, WORDS)
        for name in PAGES:
            source = (WEB / "templates" / f"{name}.html").read_text(encoding="utf-8")
            used = set(re.findall(r"\bt\.(\w+)", source))
            assert used, name
            assert used <= words.keys(), (name, lang, used - words.keys())
    # the script's words (T.x) too
    script = (WEB / "static" / "staff.js").read_text(encoding="utf-8")
    used = set(re.findall(r"\bT\.(\w+)", script))
    assert used <= texts("zh", WORDS).keys(), used - texts("zh", WORDS).keys()


def test_the_consoles_index(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            anon = await env.client()
            page = await (await anon.get("/staff")).text()
            for link in ("/auctioneer", "/cashier", "/supplier", "/admin", "/board/A"):
                assert f'href="{link}' in page
            assert "拍卖师控制台" in page
            english = await (await anon.get("/staff?lang=en")).text()
            assert "Cashier console" in english
            # the consoles send a visitor without a session to the login page
            for path in ("/auctioneer", "/cashier", "/supplier", "/admin"):
                r = await anon.get(path, allow_redirects=False)
                assert r.status == 302 and r.headers["Location"].startswith("/login"), path

    run(go())
