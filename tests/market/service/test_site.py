"""The site as a whole: the home page at "/", the navigation bar on every page but the wall
board, the language kept across links, and every page answering in both languages."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jiqun.market.service.app import WEB
from jiqun.web.texts import TEXTS
from tests.market.service.conftest import HALL, PASSWORD, Live, live, run

NAV = 'class="site-nav"'


def hrefs(html: str) -> set[str]:
    return {unescape(h) for h in re.findall(r'href="([^"]*)"', html)}


async def text_of(c: Any, path: str) -> tuple[int, str]:
    """The page's status and HTML without the words the scripts get (all of them, as JSON)."""
    r = await c.get(path, allow_redirects=False)
    html = await r.text()
    return r.status, re.sub(r'<script id="texts" type="application/json">.*?</script>', "", html)


def test_every_word_of_the_home_page_and_the_bar_exists_in_both_languages() -> None:
    for name in ("home", "nav"):
        source = (WEB / "templates" / f"{name}.html").read_text(encoding="utf-8")
        used = set(re.findall(r"\bt\.(\w+)", source))
        assert "login" in used and ("language" in used) == (name == "nav")
        assert used <= TEXTS.keys(), (name, used - TEXTS.keys())
    nav = (WEB / "templates" / "nav.html").read_text(encoding="utf-8")
    table = re.search(r"set consoles = \{(.*?)\}", nav, re.S)
    assert table is not None
    consoles = set(re.findall(r'"(\w+)"', table[1])) - {"voice"}
    assert consoles == {"buyer", "supplier", "auctioneer", "cashier", "inspector", "admin"}
    for name in consoles | {"voice"}:  # t["nav_" ~ name] and t["role_" ~ role]
        assert f"nav_{name}" in TEXTS
    for role in consoles:
        assert f"role_{role}" in TEXTS
    for key, (_, en) in TEXTS.items():  # no Chinese in English (but the switch's "中文")
        assert key == "language" or not re.search(r"[\u4e00-\u9fff]", en), en


def test_home_page_anonymous_chinese_and_english(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url) as env:
            anon = await env.client()
            status, html = await text_of(anon, "/")
            assert status == 200
            assert "<h1>寿光蔬菜批发市场</h1>" in html and 'lang="zh-CN"' in html
            links = hrefs(html)
            for link in (
                f"/board/{HALL}?lang=zh",
                "/prices?lang=zh",
                "/prices/index?lang=zh",
                "/sealed?lang=zh",
                "/observatory?lang=zh",
                "?lang=en",  # the language switch
            ):
                assert link in links, link
            assert any(h.startswith("/login?") for h in links)
            assert 'name="trace"' in html  # the trace lookup form
            assert NAV in html
            # no console for a visitor, no log-out button
            for console in ("/cashier", "/auctioneer", "/admin", "/supplier", "/inspector"):
                assert not any(h.startswith(console) for h in links), console
            assert "site-logout" not in html
            # the hall's state: two lots queued, the hall not opened yet
            assert "未开市" in html

            status, en = await text_of(anon, "/?lang=en")
            assert status == 200 and 'lang="en"' in en
            assert "Shouguang Vegetable Wholesale Market" in en and "Public information" in en
            assert "公开信息" not in en and "寿光蔬菜批发市场" not in en
            links = hrefs(en)
            assert f"/board/{HALL}?lang=en" in links and "/prices?lang=en" in links
            assert "?lang=zh" in links  # back to Chinese
            assert not any("lang=zh" in h for h in links - {"?lang=zh"})

    run(go())


def test_consoles_follow_the_role(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url) as env:
            await env.service.add_user("INSP", "inspector", PASSWORD)
            await env.service.add_user("ADM", "admin", PASSWORD)
            expected = {  # user: (consoles he sees, consoles he must not see)
                "CASH": ({"/cashier"}, {"/auctioneer", "/admin", "/supplier", "/inspector"}),
                "AUC": ({"/auctioneer"}, {"/cashier", "/admin", "/supplier", "/inspector"}),
                "B01": ({"/buyer"}, {"/cashier", "/auctioneer", "/admin", "/supplier"}),
                "S01": ({"/supplier"}, {"/cashier", "/auctioneer", "/admin", "/inspector"}),
                "INSP": ({"/inspector"}, {"/cashier", "/auctioneer", "/admin", "/supplier"}),
                "ADM": ({"/admin", "/cashier", "/auctioneer"}, {"/supplier", "/inspector"}),
            }
            for user, (sees, not_seen) in expected.items():
                c = await env.client(user)
                for lang in ("zh", "en"):
                    status, html = await text_of(c, f"/?lang={lang}")
                    assert status == 200
                    links = {h.split("?")[0] for h in hrefs(html)}
                    assert sees | {"/voice"} <= links, (user, lang)
                    assert not (not_seen & links), (user, lang, not_seen & links)
                    assert f"/cashier?lang={lang}" in hrefs(html) or "/cashier" not in sees
                    assert user in html and "site-logout" in html
                # the bar on another page shows the same consoles
                status, html = await text_of(c, "/prices")
                links = {h.split("?")[0] for h in hrefs(html)}
                assert status == 200 and sees <= links and not (not_seen & links)
            # each console still checks the role itself: the cashier may not open the auctioneer's
            cash = await env.client("CASH")
            r = await cash.get("/auctioneer", allow_redirects=False)
            assert r.status == 403
            # the Chinese role name in the bar, the English one with ?lang=en
            _, zh = await text_of(cash, "/")
            _, en = await text_of(cash, "/?lang=en")
            assert "CASH · 收银员" in zh and "CASH · cashier" in en

    run(go())


def test_log_out_from_the_bar(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url) as env:
            c = await env.client("CASH")
            _, html = await text_of(c, "/")
            logout = r'<form class="site-logout" method="post" action="([^"]+)".*?</form>'
            form = re.search(logout, html, re.S)
            assert form is not None and form[1] == "/api/logout"
            csrf = re.search(r'name="csrf" value="([^"]+)"', form[0])
            assert csrf is not None and csrf[1] == c.csrf  # type: ignore[attr-defined]
            r = await c.post("/api/logout", data={"csrf": csrf[1]})
            assert r.status == 200
            _, after = await text_of(c, "/")
            assert "site-logout" not in after and "CASH" not in after

    run(go())


def test_trace_lookup_and_the_board_without_navigation(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url) as env:
            anon = await env.client()
            r = await anon.get("/?trace=%20SG%2F1%20&lang=en", allow_redirects=False)
            assert r.status == 302 and r.headers["Location"] == "/trace/SG%2F1?lang=en"
            status, html = await text_of(anon, "/?trace=+")
            assert status == 200 and "请输入追溯码" in html
            status, html = await text_of(anon, "/")
            assert "请输入追溯码" not in html

            for lang in ("zh", "en"):
                status, board = await text_of(anon, f"/board/{HALL}?lang={lang}")
                assert status == 200 and NAV not in board and "site-links" not in board
                assert 'id="clock"' in board
                assert ("English" if lang == "zh" else "中文") in board  # its own switch

            # the language switch keeps the page's query
            _, buyer = await text_of(anon, f"/buyer?hall={HALL}&lang=en")
            assert f"?hall={HALL}&lang=zh" in hrefs(buyer)
            _, login = await text_of(anon, "/login?next=/cashier&lang=en")
            switch = [h for h in hrefs(login) if h.startswith("?next=")]
            assert len(switch) == 1
            assert parse_qs(urlsplit(switch[0]).query) == {"next": ["/cashier"], "lang": ["zh"]}
            assert 'action="/login?lang=en"' in login
            # one language switch a page, not the page's own beside the bar's
            for path in ("/prices?lang=en", "/observatory?lang=en", "/buyer?lang=en"):
                _, html = await text_of(anon, path)
                assert html.count(">中文<") == 1, path

    run(go())


async def _trace_code(env: Live) -> str:
    auc = await env.client("AUC")
    r = await auc.get("/api/quality/lots")
    assert r.status == 200, await r.text()
    lots = (await r.json())["lots"]
    return str(lots[0]["trace_code"])


def test_every_page_answers_in_both_languages(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url) as env:
            await env.service.add_user("INSP", "inspector", PASSWORD)
            await env.service.add_user("ADM", "admin", PASSWORD)
            code = await _trace_code(env)
            public = [
                "/",
                f"/board/{HALL}",
                "/buyer",
                "/login",
                "/staff",
                f"/trace/{code}",
                "/prices",
                "/prices/history/黄瓜",
                "/prices/index",
                "/observatory",
            ]
            protected = {  # page: a user who may open it
                "/auctioneer": "AUC",
                "/cashier": "CASH",
                "/supplier": "S01",
                "/admin": "ADM",
                "/inspector": "INSP",
                "/voice": "B01",
                "/sealed": "B01",
            }
            anon = await env.client()
            users = {u: await env.client(u) for u in set(protected.values())}
            for lang in ("zh", "en"):
                for path in public:
                    status, html = await text_of(anon, f"{path}?lang={lang}")
                    assert status == 200, (path, lang, html[:300])
                    assert html.lstrip().startswith("<!doctype html>"), path
                    assert ("site-links" in html) == (not path.startswith("/board")), path
                for path, user in protected.items():
                    r = await anon.get(f"{path}?lang={lang}", allow_redirects=False)
                    assert r.status in (302, 303), (path, r.status)
                    assert r.headers["Location"].startswith("/login"), path
                    status, html = await text_of(users[user], f"{path}?lang={lang}")
                    assert status == 200, (path, lang, html[:300])
                    assert NAV in html and f'lang="{"zh-CN" if lang == "zh" else "en"}"' in html
                    other = "English" if lang == "zh" else "中文"
                    assert other in html, (path, lang)

    run(go())


def test_a_protected_page_sends_to_the_login_in_its_language_and_back(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url) as env:
            anon = await env.client()
            for path in (
                "/cashier?lang=en",
                "/supplier?lang=en",
                "/admin?lang=en",
                "/inspector?lang=en",
                f"/auctioneer?hall={HALL}&lang=en",
                "/voice?lang=en",
                "/sealed?lang=en",
            ):
                r = await anon.get(path, allow_redirects=False)
                assert r.status in (302, 303), path
                target = urlsplit(r.headers["Location"])
                query = parse_qs(target.query)
                assert target.path == "/login" and query["lang"] == ["en"], path
                assert query["next"] == [path], path
            r = await anon.get("/cashier", allow_redirects=False)
            assert parse_qs(urlsplit(r.headers["Location"]).query) == {"next": ["/cashier"]}
            # after logging in, only a path on this site
            await env.service.add_user("CASH2", "cashier", PASSWORD)
            for target, lands in (
                ("/cashier?lang=en", "/cashier?lang=en"),
                ("//evil.example/x", "/buyer"),
                ("/\\evil.example/x", "/buyer"),
                ("https://evil.example/", "/buyer"),
            ):
                page = await anon.get("/login")
                token = re.search(r'name="csrf" value="([^"]+)"', await page.text())
                form = {"user": "CASH2", "password": PASSWORD, "next": target}
                if token:
                    form["csrf"] = token[1]
                r = await anon.post("/login", data=form, allow_redirects=False)
                assert r.status == 303 and r.headers["Location"] == lands, target

    run(go())
