"""The JSON API's OpenAPI 3 description, written by hand (a test checks every /api route is
here and nothing else is)."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json(_ref("Error"), "Refused: see the error code")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
CSRF: list[dict[str, list[str]]] = [{"csrf": []}]
STATE_CHANGING = {"401": ERROR, "403": ERROR, "400": ERROR}

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
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["user", "password"],
                                "properties": {
                                    "user": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        }
                    },
                },
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
                "summary": "Open the hall: its first lot's first round starts (auctioneer)",
                "parameters": HALL,
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
                "security": CSRF,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["member", "amount_fen"],
                                "properties": {
                                    "member": {"type": "string"},
                                    "amount_fen": {"type": "integer"},
                                },
                            }
                        }
                    },
                },
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
                    **STATE_CHANGING,
                },
            }
        },
        "/api/members": {
            "post": {
                "summary": "Add a login: member (buyer, supplier) or staff (administrator)",
                "security": CSRF,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["user", "role", "password"],
                                "properties": {
                                    "user": {"type": "string"},
                                    "role": {
                                        "type": "string",
                                        "enum": [
                                            "buyer",
                                            "supplier",
                                            "auctioneer",
                                            "inspector",
                                            "cashier",
                                            "admin",
                                        ],
                                    },
                                    "password": {"type": "string", "minLength": 8},
                                    "name": {"type": "string"},
                                },
                            }
                        }
                    },
                },
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
