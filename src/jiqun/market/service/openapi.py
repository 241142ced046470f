"""The JSON API's OpenAPI 3 description, written by hand (a test checks every /api route is
here and nothing else is)."""

from __future__ import annotations

from typing import Any

from jiqun.market.service.users import ROLES


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_INT = {"type": "integer"}
_STR = {"type": "string"}


def _param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


ERROR = _json(_ref("Error"), "Refused: see the error code")
HALL = [_param("hall")]
CSRF: list[dict[str, list[str]]] = [{"csrf": []}]
STATE_CHANGING = {"401": ERROR, "403": ERROR, "400": ERROR}

IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "A client request id (1 to 128 printable ASCII characters; or the body's request_id). "
        "A retry with the same id and body gets the first answer (header Idempotent-Replayed: "
        "true) and acts no second time; the same id with another body is 409 "
        "idempotency_conflict."
    ),
    "schema": {"type": "string", "maxLength": 128},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "jiqun market",
        "version": "1",
        "description": (
            "The live market's JSON API. State-changing calls need the session cookie "
            "(from /api/login) and its CSRF token in the X-CSRF-Token header. Live events "
            "go over the WebSocket /ws/{hall} (see jiqun.market.service.protocol)."
        ),
    },
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "jiqun_session"},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}},
                "required": ["error"],
            },
            "Lot": {
                "type": "object",
                "description": "A lot's public fields (never the reserve price).",
                "properties": {
                    "id": {"type": "string"},
                    "supplier": {"type": "string"},
                    "variety": {"type": "string"},
                    "grade": {"type": "string"},
                    "origin": {"type": "string"},
                    "package": {"type": "string"},
                    "category": {"type": "string"},
                    "units": {"type": "integer"},
                    "unit_net_g": {"type": "integer"},
                    "start_price_fen": {"type": "integer"},
                    "min_purchase": {"type": "integer"},
                    "remaining": {"type": "integer"},
                },
            },
            "NewLot": {
                "type": "object",
                "required": [
                    "id",
                    "variety",
                    "grade",
                    "units",
                    "unit_net_g",
                    "start_price_fen",
                    "reserve_price_fen",
                    "min_purchase",
                ],
                "properties": {
                    "id": {"type": "string"},
                    "supplier": {"type": "string", "description": "auctioneer only"},
                    "variety": {"type": "string"},
                    "grade": {"type": "string"},
                    "origin": {"type": "string"},
                    "package": {"type": "string"},
                    "category": {"type": "string"},
                    "units": {"type": "integer"},
                    "unit_net_g": {"type": "integer"},
                    "start_price_fen": {"type": "integer"},
                    "reserve_price_fen": {"type": "integer"},
                    "min_purchase": {"type": "integer"},
                },
            },
            "HallState": {
                "type": "object",
                "description": "The WebSocket's state message.",
                "properties": {
                    "t": {"type": "string", "enum": ["state"]},
                    "hall": {"type": "string"},
                    "s": {"type": "integer", "description": "server time, ms since the epoch"},
                    "phase": {
                        "type": "string",
                        "enum": ["idle", "waiting", "running", "window", "closed"],
                    },
                    "lot": {"allOf": [_ref("Lot")], "nullable": True},
                    "round": {"type": "object", "nullable": True},
                    "stopped": {"type": "object", "nullable": True},
                    "starts_at": {"type": "integer", "nullable": True},
                    "next": {"type": "array", "items": _ref("Lot")},
                    "lots_left": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object"}},
                    "clock": {"type": "object"},
                },
            },
        },
    },
    "paths": {
        "/api/login": {
            "post": {
                "summary": "Log in; sets the session cookie and returns the CSRF token",
                "requestBody": _body({"user": _STR, "password": _STR}, ["user", "password"]),
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "user": {"type": "string"},
                                "role": {"type": "string"},
                                "csrf": {"type": "string"},
                            },
                        }
                    ),
                    "401": ERROR,
                    "429": ERROR,
                },
            }
        },
        "/api/logout": {
            "post": {
                "summary": "Log out (clears the cookie)",
                "security": CSRF,
                "responses": {"200": _json({"type": "object"}), **STATE_CHANGING},
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This description",
                "responses": {"200": _json({"type": "object"})},
            }
        },
        "/api/halls": {
            "get": {
                "summary": "The halls, their phase and the lot on the clock",
                "responses": {"200": _json({"type": "object"})},
            }
        },
        "/api/halls/{hall}/state": {
            "get": {
                "summary": "A hall's state (as the WebSocket's state message)",
                "parameters": HALL,
                "responses": {"200": _json(_ref("HallState")), "404": ERROR},
            }
        },
        "/api/halls/{hall}/open": {
            "post": {
                "summary": (
                    "Open the hall: its first lot's first round starts the hall's pause_ms "
                    "later, announced at once (auctioneer)"
                ),
                "parameters": [*HALL, IDEMPOTENCY_KEY],
                "security": CSRF,
                "responses": {
                    "200": _json(_ref("HallState")),
                    "409": ERROR,
                    **STATE_CHANGING,
                },
            }
        },
        "/api/halls/{hall}/lots": {
            "post": {
                "summary": "Add a lot to the end of the hall's queue (supplier or auctioneer)",
                "parameters": HALL,
                "security": CSRF,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("NewLot")}},
                },
                "responses": {
                    "201": _json({"type": "object", "properties": {"lot": _ref("Lot")}}),
                    "409": ERROR,
                    **STATE_CHANGING,
                },
            }
        },
        "/api/deposits": {
            "post": {
                "summary": "Take a deposit into a buyer's one-card wallet (cashier)",
                "parameters": [IDEMPOTENCY_KEY],
                "security": CSRF,
                "requestBody": _body(
                    {"member": _STR, "amount_fen": _INT, "request_id": _STR},
                    ["member", "amount_fen"],
                ),
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "member": {"type": "string"},
                                "balance_fen": {"type": "integer"},
                            },
                        }
                    ),
                    "409": ERROR,
                    **STATE_CHANGING,
                },
            }
        },
        "/api/members": {
            "post": {
                "summary": "Add a login: member (buyer, supplier) or staff (administrator)",
                "parameters": [IDEMPOTENCY_KEY],
                "security": CSRF,
                "requestBody": _body(
                    {
                        "user": _STR,
                        "role": {"type": "string", "enum": list(ROLES)},
                        "password": {"type": "string", "minLength": 8},
                        "name": _STR,
                        "request_id": _STR,
                    },
                    ["user", "role", "password"],
                ),
                "responses": {
                    "201": _json({"type": "object"}),
                    "409": ERROR,
                    **STATE_CHANGING,
                },
            }
        },
        "/api/me": {
            "get": {
                "summary": "Who is logged in; a member's balance and today's purchases",
                "responses": {"200": _json({"type": "object"}), "401": ERROR},
            }
        },
    },
}


# ---------------------------------------------------------------------------- staff consoles
# (jiqun.market.service.staff: cashier, auctioneer, supplier, admin)


def _get(summary: str, *params: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": list(params),
            "responses": {"200": _json({"type": "object"}), "401": ERROR, "403": ERROR},
        }
    }


def _post(
    summary: str,
    body: dict[str, Any] | None,
    *params: dict[str, Any],
    ok: str = "200",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [*params, IDEMPOTENCY_KEY],
        "security": CSRF,
        "responses": {ok: _json({"type": "object"}), "409": ERROR, **STATE_CHANGING},
    }
    if body is not None:
        op["requestBody"] = body
    return {"post": op}


_CASH = _body({"member": _STR, "amount_fen": _INT, "request_id": _STR}, ["member", "amount_fen"])

STAFF_PATHS: dict[str, Any] = {
    "/api/cashier/members": _get("Members with balances, suspension, limits, cards (cashier)"),
    "/api/cashier/deposits": _post("A deposit into a buyer's wallet; its receipt (cashier)", _CASH),
    "/api/cashier/withdrawals": _post(
        "A withdrawal from a buyer's wallet, never below zero (cashier)", _CASH
    ),
    "/api/cashier/payouts": _post(
        "A payout of a supplier's proceeds, never below zero (cashier)", _CASH
    ),
    "/api/cashier/cards": _post(
        "Issue a one-card card with its deposit (押金) (cashier)",
        _body(
            {"member": _STR, "card_no": _STR, "deposit_fen": _INT},
            ["member", "card_no", "deposit_fen"],
        ),
        ok="201",
    ),
    "/api/members/{member}/statement": _get(
        "A member's statement, each fee on its own line (cashier, admin, the member)",
        _param("member"),
    ),
    "/api/receipts/{key}": _get(
        "One transaction as a receipt (cashier, admin, a member it concerns)", _param("key")
    ),
    "/api/auctioneer/halls/{hall}": _get(
        "The hall with its whole lot queue, reserve prices and clock (auctioneer)", *HALL
    ),
    "/api/auctioneer/halls/{hall}/presses": _get(
        "The hall's latest presses from the journal, and whether they bought (auctioneer)",
        *HALL,
    ),
    "/api/halls/{hall}/pause": _post("Hold the hall: a running clock stops unsold", None, *HALL),
    "/api/halls/{hall}/resume": _post("Release the hall: a held round starts now", None, *HALL),
    "/api/halls/{hall}/clock": _post(
        "The clock's speed (ms per tick) and step (fen) from the next round on (auctioneer)",
        _body({"tick_ms": _INT, "step_fen": _INT}, ["tick_ms", "step_fen"]),
        *HALL,
    ),
    "/api/halls/{hall}/queue": _post(
        "Reorder the lots not started yet (all of them, once each) (auctioneer)",
        _body({"lots": {"type": "array", "items": _STR}}, ["lots"]),
        *HALL,
    ),
    "/api/halls/{hall}/lots/{lot}/withdraw": _post(
        "Withdraw a lot before its first round (auctioneer)", None, *HALL, _param("lot")
    ),
    "/api/catalogue": _get("Varieties, grades and package codes with standard net weights"),
    "/api/supplier/lots": _get("The supplier's lots, sales and proceeds (supplier)"),
    "/api/supplier/halls/{hall}/lots": _post(
        "Register a lot from the catalogue (through the lot API) (supplier)",
        {"required": True, "content": {"application/json": {"schema": _ref("NewLot")}}},
        *HALL,
        ok="201",
    ),
    "/api/admin/users": {
        **_get("Every login, its role and a member's account (admin)"),
        **_post(
            "Add a login; a buyer may get a daily purchase limit (admin)",
            _body(
                {
                    "user": _STR,
                    "role": _STR,
                    "password": _STR,
                    "name": _STR,
                    "daily_limit_fen": _INT,
                },
                ["user", "role", "password"],
            ),
            ok="201",
        ),
    },
    "/api/admin/users/{user}/disabled": _post(
        "Disable or enable a login (admin)",
        _body({"disabled": {"type": "boolean"}}, ["disabled"]),
        _param("user"),
    ),
    "/api/admin/members/{member}/suspension": _post(
        "Suspend or reinstate a member: a suspended buyer's presses are refused; a suspended "
        "supplier's queued lots are withdrawn (listed in withdrawn) and new ones refused (admin)",
        _body({"suspended": {"type": "boolean"}}, ["suspended"]),
        _param("member"),
    ),
    "/api/admin/members/{member}/daily-limit": _post(
        "Set or lift (null) a buyer's daily purchase limit in fen (admin)",
        _body(
            {"daily_limit_fen": {"type": "integer", "nullable": True, "minimum": 0}},
            ["daily_limit_fen"],
        ),
        _param("member"),
    ),
    "/api/admin/catalogue": _post(
        "Add a variety, grade or package code to the catalogue (admin)",
        _body(
            {
                "kind": {"type": "string", "enum": ["variety", "grade", "package"]},
                "code": _STR,
                "name": _STR,
                "category": _STR,
                "standard_code": _STR,
                "net_g": _INT,
            },
            ["kind", "code"],
        ),
        ok="201",
    ),
    "/api/admin/fees": _get("Each hall's fees and clock settings (fixed with the hall)"),
}
DOCUMENT["paths"].update(STAFF_PATHS)


# ---------------------------------------------------------------------------- feature modules
# (quality centre, price information, voice query, sealed bids)


def _query(name: str, description: str, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


def _public(summary: str, *params: dict[str, Any]) -> dict[str, Any]:
    """A GET anyone may call (no session)."""
    return {
        "get": {
            "summary": summary,
            "security": [],
            "parameters": list(params),
            "responses": {"200": _json({"type": "object"}), "400": ERROR, "404": ERROR},
        }
    }


_DAY = "a date, YYYY-MM-DD (China Standard Time)"
_DEC = {"type": "string", "description": "a decimal number as written, e.g. 35.2"}
FEATURE_PATHS: dict[str, Any] = {
    "/api/quality/lots": _get("Lots in the testing centre, why each was drawn (inspector)"),
    "/api/quality/lots/{lot}/rapid": _post(
        "A rapid test's inhibition rates (GB/T 5009.199): the first reading, then two retests "
        "(inspector)",
        _body({"inhibition": _DEC}, ["inhibition"]),
        _param("lot"),
    ),
    "/api/quality/lots/{lot}/lab": _post(
        "Lab results in mg/kg per pesticide, judged against GB 2763 (inspector)",
        _body(
            {"results": {"type": "object", "additionalProperties": _DEC}},
            ["results"],
        ),
        _param("lot"),
    ),
    "/api/quality/mrl": _public(
        "A GB 2763 maximum residue limit and where it came from",
        _query("pesticide", "the pesticide's Chinese or English name", True),
        _query("food", "the food's name", True),
    ),
    "/api/trace/{code}": _public(
        "A lot's public trace: origin, supplier, certificate, tests, sales", _param("code")
    ),
    "/api/prices": _public(
        "Daily price records per variety × grade × origin × package (published revision)",
        _query("from", _DAY),
        _query("to", _DAY),
        _query("revision", "an earlier published revision of a day"),
    ),
    "/api/prices/index": _public(
        "The fixed-base price index with its categories (定基, 环比, 同比)",
        _query("from", _DAY),
        _query("to", _DAY),
        _query("base_from", _DAY),
        _query("base_to", _DAY),
        _query("period", "day, week or month"),
    ),
    "/api/prices/publish": _post(
        "Publish the days' records: a day that changed gets a new revision (admin)",
        _body({"from": _STR, "to": _STR}, ["from", "to"]),
    ),
    "/api/voice": _get(
        "A price question in words (e.g. 黄瓜 一级 今天) and its answer (members)",
        _query("q", "the question", True),
    ),
    "/api/sealed/items": {
        **_get("Sealed-bid items: windows, state, the viewer's own bid, results after close"),
        **_post(
            "List a sealed-bid item (auctioneer, admin)",
            _body(
                {
                    "id": _STR,
                    "seller": _STR,
                    "title": _STR,
                    "reserve_fen": _INT,
                    "opens_ms": _INT,
                    "closes_ms": _INT,
                },
                ["id", "seller", "reserve_fen", "opens_ms", "closes_ms"],
            ),
            ok="201",
        ),
    },
    "/api/sealed/items/{item}": _get(
        "One item: the viewer's own bids until the close, every bid after it", _param("item")
    ),
    "/api/sealed/items/{item}/bids": _post(
        "A sealed bid by the session's buyer; the decision with its reason (buyers)",
        _body({"amount_fen": _INT}, ["amount_fen"]),
        _param("item"),
    ),
}
DOCUMENT["paths"].update(FEATURE_PATHS)
