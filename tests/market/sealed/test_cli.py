"""``jiqun market sealed replay`` as a user runs it, and malformed scenarios named clearly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from jiqun.cli import main
from jiqun.market.sealed.engine import run as run_engine
from jiqun.market.sealed.scenario import ScenarioError, parse_auction

from .test_rules import WORKED, bid, item, member, scenario


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, data: object, name: str = "auction.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_replay_prints_the_result(tmp_path: Path) -> None:
    code, out, err = run("market", "sealed", "replay", str(write(tmp_path, WORKED)))
    assert code == 0 and err == ""
    result = json.loads(out)
    assert list(result) == ["awards", "unsold", "rejected", "balances"]
    assert result["balances"]["market:revenue"] == 3500
    assert result["unsold"] == ["J04"]
    assert {"at_ms": 2800, "bidder": "B03", "item": "J03", "amount_fen": "100"} | {
        "reason": "bad_amount"
    } in result["rejected"]


def test_replay_writes_a_file(tmp_path: Path) -> None:
    out_file = tmp_path / "out" / "result.json"
    out_file.parent.mkdir()
    code, out, _ = run(
        "market", "sealed", "replay", str(write(tmp_path, WORKED)), "-o", str(out_file)
    )
    assert code == 0 and out == ""
    assert json.loads(out_file.read_text(encoding="utf-8"))["awards"][0] == {
        "item": "J01",
        "bidder": "B02",
        "amount_fen": 40_000,
        "commission_fen": 1000,
    }


def test_an_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "result.json"
    code, out, err = run(
        "market", "sealed", "replay", str(write(tmp_path, WORKED)), "-o", str(target)
    )
    assert code == 2 and out == "" and err.startswith(f"{target}：无法写入（")
    assert "Traceback" not in err


def test_a_float_amount_is_echoed_as_given(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    data = scenario([bid(1000, "B01", "J01", 0)])
    path.write_text(json.dumps(data).replace('"amount_fen": 0', '"amount_fen": 5.0'))
    code, out, _ = run("market", "sealed", "replay", str(path))
    assert code == 0 and '"amount_fen": 5.0,' in out
    assert json.loads(out)["rejected"][0]["reason"] == "bad_amount"


def test_a_bad_scenario_is_a_clear_error(tmp_path: Path) -> None:
    data = scenario([{"at_ms": -5, "bidder": "B01", "item": "J01", "amount_fen": 1}])
    data["items"][0]["reserve_fen"] = "100"
    path = write(tmp_path, data)
    code, out, err = run("market", "sealed", "replay", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.splitlines() == [
        f"{path}：items[0].reserve_fen：应为整数",
        f"{path}：bids[0].at_ms：不能为负数",
    ]
    code, _, err = run("--lang", "en", "market", "sealed", "replay", str(path))
    assert code == 2 and f"{path}: bids[0].at_ms: Input should be greater than or equal to 0" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "找不到文件"),
        ("{", "不是有效的 JSON"),
        ('{"members": [], "items": [], "bids": [{"at_ms": NaN}]}', "不是有效的 JSON"),
        ("[]", "应为对象"),
        (b"\xff\xfe{", "不是有效的 JSON"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "x.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run("market", "sealed", "replay", str(path))
    assert code == 2 and out == "" and err.startswith(f"{path}：") and message in err
    assert "Traceback" not in err


def test_help_names_the_command() -> None:
    code, out, _ = run("market", "sealed", "--help")
    assert code == 0 and "replay" in out


# ------------------------------------------------------------------ malformed scenarios


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"market": {"seller_commission_bps": -1}}, "market.seller_commission_bps：不能为负数"),
        (
            {"market": {"seller_commission_bps": 10_001}},
            "market.seller_commission_bps：不能大于 10000（100 %）",
        ),
        ({"market": {"seller_commission_bps": 2.5}}, "market.seller_commission_bps：应为整数"),
        (
            {"members": [{"id": "B01", "role": "auctioneer"}]},
            "members[0].role：应为 buyer 或 supplier（或 seller）",
        ),
        ({"members": [{"id": "", "role": "buyer"}]}, "members[0].id：不能为空"),
        ({"members": [member("B01", -1)]}, "members[0].deposit_fen：不能为负数"),
        (
            {"members": [member("S01", role="supplier"), member("S01", role="supplier")]},
            "members[1].id：会员编号 S01 重复",
        ),
        (
            {"members": [member("market:revenue"), member("S01", role="supplier")]},
            "members[0].id：market:revenue 是市场收入账户，不能作为会员编号",
        ),
        ({"items": [item("J01"), item("J01")]}, "items[1].id：拍品编号 J01 重复"),
        ({"items": [item("J01", seller="S09")]}, "items[0].seller：未知的会员 S09"),
        ({"items": [{"id": "J01", "seller": "S01"}]}, "items[0].reserve_fen：缺少此字段"),
        ({"items": [item("J01", reserve=-1)]}, "items[0].reserve_fen：不能为负数"),
        ({"items": [item("J01", reserve=True)]}, "items[0].reserve_fen：应为整数"),
        (
            {"bids": [{"at_ms": 5, "bidder": "B01", "item": "J01"}]},
            "bids[0].amount_fen：缺少此字段",
        ),
        ({"bids": [bid(1.0, "B01", "J01", 1)]}, "bids[0].at_ms：应为整数"),  # type: ignore[arg-type]
        ({"bids": [bid(1, 7, "J01", 1)]}, "bids[0].bidder：应为文本"),  # type: ignore[arg-type]
        ({"bids": {}}, "bids：应为列表"),
        ({"members": None}, "members：应为列表"),
    ],
)
def test_malformed_scenarios_name_the_field(change: dict[str, Any], message: str) -> None:
    data = scenario([])
    data.update(change)
    with pytest.raises(ScenarioError) as info:
        parse_auction(data, "auction.json")
    assert f"auction.json：{message}" in info.value.lines()


def test_missing_sections() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_auction({}, "a.json")
    assert info.value.lines() == ["a.json：members：缺少此字段", "a.json：items：缺少此字段"]


def test_fields_a_scenario_adds_are_ignored_and_defaults() -> None:
    data = {
        "title": "玉器专场",
        "members": [
            {"id": "B01", "role": "buyer", "deposit_fen": 10, "name": "甲", "suspended": False}
        ],
        "items": [],
    }
    auction = parse_auction(data)
    assert auction.seller_commission_bps == 0 and auction.bids == ()
    assert auction.members[0].deposit_fen == 10


def test_a_supplier_may_carry_a_deposit() -> None:
    members = [member("B01", 100), member("S01", 55, "supplier")]
    data = scenario([bid(1000, "B01", "J01", 100)], members=members, bps=1000)
    balances = run_engine(parse_auction(data)).to_json()["balances"]
    assert balances == {"B01": 0, "S01": 55 + 90, "market:revenue": 10}


def test_readings_where_the_spec_is_silent(tmp_path: Path) -> None:
    """A deposit written "deposit", role "seller", a buyer selling an item (an association's
    member), an item with an empty window: all run, as the module's docstring says."""
    data = {
        "market": {"seller_commission_bps": 250},
        "members": [
            {"id": "B1", "role": "buyer", "deposit": 10_000},
            {"id": "B2", "role": "buyer", "balance_fen": 5_000},
            {"id": "S1", "role": "seller"},
        ],
        "items": [
            {"id": "I1", "seller": "S1", "reserve_fen": 100, "opens_ms": 0, "closes_ms": 100},
            {"id": "I2", "seller": "B2", "reserve_fen": 0, "opens_ms": 0, "closes_ms": 100},
            {"id": "I3", "seller": "S1", "reserve_fen": 0, "opens_ms": 50, "closes_ms": 50},
        ],
        "bids": [
            {"at_ms": 10, "bidder": "B1", "item": "I1", "amount_fen": 4_000},
            {"at_ms": 20, "bidder": "B1", "item": "I2", "amount_fen": 6_000},
            {"at_ms": 30, "bidder": "S1", "item": "I2", "amount_fen": 1},
            {"at_ms": 50, "bidder": "B2", "item": "I3", "amount_fen": 1},
        ],
    }
    code, out, err = run("market", "sealed", "replay", str(write(tmp_path, data)))
    assert code == 0, err
    result = json.loads(out)
    # I1: 4000, commission 100; I2 (B2 sells): 6000, commission 150; I3 never open.
    assert result["awards"] == [
        {"item": "I1", "bidder": "B1", "amount_fen": 4_000, "commission_fen": 100},
        {"item": "I2", "bidder": "B1", "amount_fen": 6_000, "commission_fen": 150},
    ]
    assert result["unsold"] == ["I3"]
    assert [(r["bidder"], r["reason"]) for r in result["rejected"]] == [
        ("S1", "not_a_buyer"),
        ("B2", "window_closed"),
    ]
    assert result["balances"] == {
        "B1": 0,
        "B2": 5_000 + 5_850,
        "S1": 3_900,
        "market:revenue": 250,
    }
