#!/usr/bin/env python3
"""Throws malformed and edge-case requests at a running Mr. Daebak server; fails on any 5xx.

    python3 scripts/fuzz_api.py --base http://127.0.0.1:3100 --cases 2400 --seed 1

Targets every Leptos server function (`POST /api/<endpoint>`, JSON or form encoded) and every
REST route under `/api` (auth, checkout, orders, voice), plus unknown paths and wrong methods.
Each case starts from a valid-looking request built from the seed data (stores, dinners,
styles, side dishes, test cards) and breaks one thing: a missing or extra key, a wrong type,
an out-of-range number, a 10 KB string, NUL and other control characters in a text field,
invalid UTF-8, a truncated or empty body, the wrong content type, a bad path parameter, a bad
cookie or header. A handful of cases send 3 MB and 20 MB bodies.

Before the cases it signs up a fresh customer and sends that session cookie on most of them
(some go without it, some with a broken one), and creates one pending order whose id the
order and payment cases use. It creates few real orders: all but a small, fixed number of the
order-creating cases are malformed, and most checkouts use a card that the mock processor
declines. (The server also holds each customer to 5 unpaid or declined orders, so after the
first few the valid ones answer 409.)

Exit status: 0 when every request got an answer below 500, 1 otherwise. 503 and 504 from the
voice endpoints (`/api/voice/*`, `/api/voice_*`) are allowed: they mean "no AI worker" or "the AI
did not answer in time", not bad input handling. A request that gets no answer at all (refused,
reset, timed out after 35 s) is a failure too, and so is a server that stops answering
`/healthz` by the end. 2 means the setup (sign-up) failed.

The same seed generates the same cases in the same order; only the fresh account's email and
the setup order's id differ between runs. With `--workers` above 1 the requests interleave, so
rate-limited answers (429) may differ; use `--workers 1` for an exact replay, and
`--case N` to send case N alone and print the whole exchange.

Run it against a throwaway database. Without an AI worker every voice request that passes
validation waits for the server's AI timeout (30 s by default), so start the server with a
short one, e.g. `AI_TIMEOUT_SECS=2`, to keep the run to a few minutes.
"""

from __future__ import annotations

import argparse
import base64
import copy
import http.client
import json
import os
import random
import socket
import sys
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

REQUEST_TIMEOUT_S = 35
SESSION_COOKIE = "daebak_session"
PASSWORD = "fuzz-password-123"
SHOWN_BODY_CHARS = 200

# ---------------------------------------------------------------------------------------------
# Reference data (migrations/*seed*.sql, DESIGN.md)
# ---------------------------------------------------------------------------------------------

STORES = ["gangnam", "hongdae"]
STYLES = {
    "valentine": ["simple", "grand", "deluxe"],
    "french": ["simple", "grand", "deluxe"],
    "english": ["simple", "grand", "deluxe"],
    "champagne_feast": ["grand", "deluxe"],
    "chicken": ["original", "spicy", "soy_garlic"],
}
COMPONENTS = {
    "valentine": ["wine", "steak"],
    "french": ["coffee", "wine", "salad", "steak"],
    "english": ["scrambled_eggs", "bacon", "bread", "steak"],
    "champagne_feast": ["champagne", "baguette", "coffee_pot", "wine", "steak"],
    "chicken": ["fried_chicken", "pickled_radish", "cola"],
}
SIDE_DISHES = ["fries", "salad", "cheese_balls", "garlic_bread", "corn_soup", "cola"]
CAKE_SIZES = ["mini", "no1", "no2"]
CAKE_FLAVORS = ["fresh_cream", "chocolate", "cheese"]
CARD_APPROVED = "4242424242424242"
CARDS_DECLINED = ["4000000000000002", "4000000000009995", "4000000000000069"]

# Mutations that may leave an order-creating request valid. Each one that is valid reserves
# stock (and a paid checkout keeps it), so a run allows only ORDER_CREATING_BUDGET of them.
MAY_STAY_VALID = {"valid", "extra_key", "unicode", "drop_optional", "edge_valid"}
ORDER_CREATING_BUDGET = 40

CONTROL_CHARS = [chr(c) for c in range(0x01, 0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
ODD_UNICODE = ["😀🍷", "\u202eevil", "a\u200bb", "e\u0301", "\ufeffbom", "ＡＢＣ", "\u2028", "𝔘𝔫𝔦", "가" * 30]
EDGE_NUMBERS = [0, 11, -1, 2**63, 2**63 - 1, 2**64, -(2**63) - 1, 1.5, -0.0, 1e308, 10**30]
ODD_DATES = [
    "2099-01-01T19:00:00+09:00",
    "1970-01-01T00:00:00Z",
    "2026-13-45T99:99:99Z",
    "tomorrow",
    "9999-12-31T23:59:59Z",
    "+275760-09-13T00:00:00Z",
    "2026-12-02T19:00:00",
    "2026-12-02",
    "0",
    "2026-12-02T19:00:00+99:00",
    "2026-12-02T19:00:00.123456789123Z",
]
INVALID_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf8\x88\x80\x80\x80",
    b"caf\xe9",
    b"\x80",
]
# A string that json.dumps leaves alone, swapped for raw bytes after encoding.
MARKER = "@@FUZZ_RAW@@"

# ---------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    index: int
    label: str  # the endpoint as the summary groups it, e.g. "POST /api/orders/{id}/pay"
    kind: str  # which mutation made it
    method: str
    path: str
    headers: list[tuple[str, str | bytes]] = field(default_factory=list)
    body: bytes | None = None
    # Big bodies are built only when sent, so the cases list stays small.
    body_factory: Callable[[], bytes] | None = None

    def payload(self) -> bytes | None:
        return self.body_factory() if self.body_factory else self.body

    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value.decode("latin-1") if isinstance(value, bytes) else value
        return ""

    def voice(self) -> bool:
        return self.path.startswith("/api/voice")

    def shown_body(self) -> str:
        if self.body_factory:
            return f"<{self.kind}: generated body>"
        if not self.body:
            return ""
        return self.body[:SHOWN_BODY_CHARS].decode("utf-8", "backslashreplace")


@dataclass
class Outcome:
    status: int | None  # None: no answer
    error: str = ""  # why there was no answer
    response: str = ""  # the start of the answer's body
    seconds: float = 0.0


@dataclass
class Context:
    """What the setup learned and the cases refer to."""

    email: str
    order_id: int
    seed: int
    nonce: str


# ---------------------------------------------------------------------------------------------
# Valid-looking bodies
# ---------------------------------------------------------------------------------------------


def line_draft(rng: random.Random) -> dict:
    menu = rng.choice(list(STYLES))
    line: dict[str, Any] = {"menu": menu, "style": rng.choice(STYLES[menu]), "quantity": 1}
    if rng.random() < 0.4:
        line["customizations"] = [{"component": rng.choice(COMPONENTS[menu]), "quantity": rng.randint(0, 3)}]
    if rng.random() < 0.3:
        line["cake"] = {
            "size": rng.choice(CAKE_SIZES),
            "flavor": rng.choice(CAKE_FLAVORS),
            "lettering": rng.choice(["Happy Birthday", "사랑해", ""]),
        }
    return line


def side_dishes(rng: random.Random) -> list[dict]:
    return [{"code": rng.choice(SIDE_DISHES), "quantity": 1}] if rng.random() < 0.5 else []


def order_draft(rng: random.Random) -> dict:
    return {"lines": [line_draft(rng)], "side_dishes": side_dishes(rng)}


def delivery(rng: random.Random) -> dict:
    return {
        "address": "서울특별시 강남구 테헤란로 152, 101호",
        "recipient": rng.choice(["홍길동", "Kim Minsu"]),
        "phone": "010-1234-5678",
        # As soon as possible: a fixed time would fall outside the 14-day window some day.
        "requested_at": rng.choice([None, ""]),
        "notes": rng.choice([None, "문 앞에 놓아 주세요", "Ring twice"]),
    }


def order_request(rng: random.Random) -> dict:
    draft = order_draft(rng)
    return {
        "store": rng.choice(STORES),
        "lines": draft["lines"],
        "side_dishes": draft["side_dishes"],
        "delivery": delivery(rng),
        "source": rng.choice(["gui", "voice"]),
    }


def card(rng: random.Random, approved_share: float = 0.25) -> dict:
    # Mostly declined cards: the checkout runs to the end without keeping an order.
    number = CARD_APPROVED if rng.random() < approved_share else rng.choice(CARDS_DECLINED)
    return {"number": number, "expiry": "12/34", "cvv": "123", "holder": "홍길동"}


def voice_request(rng: random.Random) -> dict:
    state = None
    if rng.random() < 0.4:
        state = {
            "menu": "valentine",
            "style": "simple",
            "quantity": 2,
            "customizations": [],
            "side_dishes": ["fries"],
        }
    return {
        "transcript": rng.choice(["발렌타인 디너 심플로 두 개 주세요", "One chicken dinner, spicy"]),
        "session_id": rng.choice([None, "3f2b8c1e-0000-4000-8000-000000000001"]),
        "language": rng.choice([None, "ko", "en"]),
        "order_state": state,
    }


def wav_bytes(ms: int = 200) -> bytes:
    """A tiny, well-formed 16 kHz mono WAV of silence."""
    data = b"\x00\x00" * (16 * ms)
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt "
    header += (16).to_bytes(4, "little") + (1).to_bytes(2, "little") + (1).to_bytes(2, "little")
    header += (16000).to_bytes(4, "little") + (32000).to_bytes(4, "little")
    header += (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    return header + b"data" + len(data).to_bytes(4, "little") + data


def fresh_email(ctx: Context, index: int) -> str:
    return f"fuzz{ctx.seed}-{ctx.nonce}-{index}@example.test"


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------


# A target's valid body: (random source, setup context, case index) -> JSON-like value.
BodyFn = Callable[[random.Random, Context, int], Any]


def no_body(rng: random.Random, ctx: Context, i: int) -> Any:
    return {}


@dataclass
class Target:
    label: str
    method: str
    path: str
    encoding: str  # "json", "form", "none" or "stt"
    valid: BodyFn = no_body
    creates_orders: bool = False
    idempotency_header: bool = False
    path_id: bool = False  # the path has an `{id}` to break
    # Logging out would end the session every other case uses.
    own_session: bool = True
    weight: int = 1


def idempotency_key(ctx: Context, i: int) -> str:
    return f"fuzz-{ctx.seed}-{ctx.nonce}-{i}"


def signup_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {
        "email": fresh_email(ctx, i),
        "password": PASSWORD,
        "name": "퍼즈 테스트",
        "phone": "010-0000-0000",
    }


def login_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"email": ctx.email, "password": PASSWORD if rng.random() < 0.5 else "wrong-password"}


def checkout_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"order": order_request(rng), "payment": card(rng)}


def quote_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"draft": order_draft(rng)}


def save_cart_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"draft": order_draft(rng)}


def add_to_cart_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"line": line_draft(rng)}


def checkout_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"request": checkout_body(rng, ctx, i), "idempotency_key": idempotency_key(ctx, i)}


def create_order_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"order": order_request(rng)}


def pay_order_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"order_id": ctx.order_id, "card": card(rng), "idempotency_key": idempotency_key(ctx, i)}


def voice_analyze_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"req": voice_request(rng)}


def transcribe_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {
        "audio_b64": base64.b64encode(wav_bytes()).decode(),
        "filename": "hello.wav",
        "mime_type": "audio/wav",
        "language": rng.choice(["ko", "en", None]),
    }


def order_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"order_id": str(ctx.order_id)}


def set_language_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"lang": rng.choice(["ko", "en"])}


def order_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return order_request(rng)


def card_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return card(rng)


def cancel_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"reason": rng.choice(["일정이 바뀌었어요", "changed my mind"])}


def cancel_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"order_id": ctx.order_id, **cancel_body(rng, ctx, i)}


def status_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"status": rng.choice(["preparing", "delivering", "cancelled"]), "reason": "fuzz"}


def move_order_fn_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return {"order_id": ctx.order_id, **status_body(rng, ctx, i)}


def voice_body(rng: random.Random, ctx: Context, i: int) -> dict:
    return voice_request(rng)


def server_fn(endpoint: str, encoding: str, valid: BodyFn = no_body, **kw: Any) -> Target:
    """A Leptos server function: always `POST /api/<endpoint>`; arguments by name."""
    return Target(f"POST /api/{endpoint}", "POST", f"/api/{endpoint}", encoding, valid, **kw)


def rest(method: str, path: str, encoding: str, valid: BodyFn = no_body, **kw: Any) -> Target:
    return Target(f"{method} {path}", method, path, encoding, valid, **kw)


def targets() -> list[Target]:
    return [
        # Leptos server functions (`#[server(prefix = "/api", endpoint = ...)]` in app/src).
        server_fn("quote", "json", quote_fn_body, weight=3),
        server_fn("checkout", "json", checkout_fn_body, creates_orders=True, weight=3),
        server_fn("create_order", "json", create_order_fn_body, creates_orders=True, weight=3),
        server_fn("pay_order", "json", pay_order_fn_body, weight=2),
        server_fn("cart", "form"),
        server_fn("cart_save", "json", save_cart_fn_body, weight=2),
        server_fn("cart_add", "json", add_to_cart_fn_body),
        server_fn("voice_analyze", "json", voice_analyze_fn_body, weight=2),
        server_fn("voice_transcribe", "json", transcribe_fn_body),
        server_fn("account/signup", "form", signup_body, weight=2),
        server_fn("account/login", "form", login_body),
        server_fn("account/logout", "form", own_session=False),
        server_fn("account/me", "form"),
        server_fn("stores", "form"),
        server_fn("menu", "form"),
        server_fn("my_orders", "form"),
        server_fn("order", "form", order_fn_body, weight=2),
        server_fn("set_language", "form", set_language_fn_body),
        server_fn("staff_orders", "form"),
        server_fn("move_order", "json", move_order_fn_body),
        server_fn("cancel_my_order", "json", cancel_fn_body),
        # REST routes (server/src/api/*.rs).
        rest("POST", "/api/auth/signup", "json", signup_body, weight=2),
        rest("POST", "/api/auth/login", "json", login_body),
        rest("POST", "/api/auth/logout", "none", own_session=False),
        rest("GET", "/api/auth/me", "none"),
        rest(
            "POST",
            "/api/checkout/checkout",
            "json",
            checkout_body,
            creates_orders=True,
            idempotency_header=True,
            weight=3,
        ),
        rest("POST", "/api/orders", "json", order_body, creates_orders=True, weight=3),
        rest("GET", "/api/orders", "none"),
        rest("GET", "/api/orders/{id}", "none", path_id=True, weight=2),
        rest(
            "POST", "/api/orders/{id}/pay", "json", card_body, idempotency_header=True, path_id=True, weight=2
        ),
        rest("POST", "/api/orders/{id}/cancel", "json", cancel_body, path_id=True),
        rest("GET", "/api/staff/orders", "none"),
        rest("POST", "/api/staff/orders/{id}/status", "json", status_body, path_id=True),
        rest("POST", "/api/voice/analyze", "json", voice_body, weight=2),
        rest("POST", "/api/voice/stt", "stt", weight=2),
        rest("GET", "/api/openapi.json", "none"),
    ]


# ---------------------------------------------------------------------------------------------
# Strange values
# ---------------------------------------------------------------------------------------------


def control_text(rng: random.Random, base: str) -> str:
    """`base` with a control character in it; NUL half the time, since that is the classic."""
    char = "\x00" if rng.random() < 0.5 else rng.choice(CONTROL_CHARS)
    where = rng.choice(["prefix", "suffix", "middle", "only"])
    if where == "only":
        return char
    if where == "prefix":
        return char + base
    if where == "suffix":
        return base + char
    half = len(base) // 2
    return base[:half] + char + base[half:]


def huge_text(rng: random.Random) -> str:
    unit = rng.choice(["a", "가", "😀", "a ", "\x00"])
    return unit * (10 * 1024 // len(unit.encode()))


def wrong_type(rng: random.Random, current: Any) -> Any:
    choices: list[Any] = [None, True, 0, -7, 3.25, "", "text", [], [1, "x"], {}, {"a": 1}]
    return rng.choice([c for c in choices if type(c) is not type(current)] or choices)


def bad_ids(rng: random.Random, real: int) -> str:
    """A path segment that is not a valid order id (or is one that is not ours)."""
    return rng.choice(
        [
            "abc",
            "99999999999999999999",
            str(2**63),
            str(2**63 - 1),
            "-1",
            "0",
            "1.5",
            "1e3",
            "0x10",
            "%20" + str(real),
            "%00",
            "%FF",
            "%E2%82",
            str(real) + "%00",
            "a" * 5000,
            "",
            "null",
            "%2e%2e",
            "1;2",
        ]
    )


# ---------------------------------------------------------------------------------------------
# JSON tree helpers
# ---------------------------------------------------------------------------------------------


def node_paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Paths (key and index sequences) of every node below the root."""
    paths = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    for key, value in items:
        paths.append(prefix + (key,))
        paths.extend(node_paths(value, prefix + (key,)))
    return paths


def get_at(obj: Any, path: tuple) -> Any:
    for key in path:
        obj = obj[key]
    return obj


def set_at(obj: Any, path: tuple, value: Any) -> None:
    get_at(obj, path[:-1])[path[-1]] = value


def text_paths(obj: Any) -> list[tuple]:
    return [p for p in node_paths(obj) if isinstance(get_at(obj, p), str)]


def number_paths(obj: Any) -> list[tuple]:
    return [p for p in node_paths(obj) if type(get_at(obj, p)) in (int, float)]


def object_paths(obj: Any) -> list[tuple]:
    return [()] + [p for p in node_paths(obj) if isinstance(get_at(obj, p), dict)]


def encode_json(obj: Any, raw: bytes = b"") -> bytes:
    """JSON text; `raw` replaces MARKER, to put bytes in a string that json.dumps never would."""
    text = json.dumps(obj, ensure_ascii=False).encode()
    return text.replace(MARKER.encode(), raw)


# ---------------------------------------------------------------------------------------------
# JSON body mutations: each takes the valid body and returns (kind, body bytes, content type)
# ---------------------------------------------------------------------------------------------

JSON_CT = "application/json"
FORM_CT = "application/x-www-form-urlencoded"


def mutate_json(rng: random.Random, body: Any, kind: str) -> tuple[bytes, str]:
    body = copy.deepcopy(body)
    texts = text_paths(body)
    numbers = number_paths(body)
    nodes = node_paths(body)
    if kind == "valid":
        return encode_json(body), JSON_CT
    if kind == "drop_key" and nodes:
        path = rng.choice([p for p in nodes if isinstance(get_at(body, p[:-1]), dict)] or nodes)
        del get_at(body, path[:-1])[path[-1]]
        return encode_json(body), JSON_CT
    if kind == "drop_optional":
        # Optional fields set to null or removed: should stay valid.
        for path in [p for p in nodes if get_at(body, p) in (None, [], "")][:1]:
            del get_at(body, path[:-1])[path[-1]]
        return encode_json(body), JSON_CT
    if kind == "extra_key":
        target = get_at(body, rng.choice(object_paths(body))) if isinstance(body, dict) else {}
        target[rng.choice(["extra", "price", "final_price", "__proto__", "", "id", "tier"])] = rng.choice(
            [1, "x", None, {"a": [1]}]
        )
        return encode_json(body), JSON_CT
    if kind == "wrong_type" and nodes:
        path = rng.choice(nodes)
        set_at(body, path, wrong_type(rng, get_at(body, path)))
        return encode_json(body), JSON_CT
    if kind == "number_edge":
        if numbers:
            set_at(body, rng.choice(numbers), rng.choice(EDGE_NUMBERS))
            return encode_json(body), JSON_CT
        kind = "wrong_type"
        return mutate_json(rng, body, kind)
    if kind == "edge_valid" and numbers:
        set_at(body, rng.choice(numbers), rng.choice([1, 10]))
        return encode_json(body), JSON_CT
    if (
        kind
        in (
            "control_char",
            "huge_string",
            "unicode",
            "blank",
            "invalid_utf8",
            "raw_control",
            "lone_surrogate",
        )
        and texts
    ):
        return mutate_text_leaf(rng, body, rng.choice(texts), kind)
    if kind == "date_edge":
        dates = [p for p in nodes if p[-1] == "requested_at"]
        if not dates:
            return mutate_json(rng, body, "wrong_type")
        set_at(body, rng.choice(dates), rng.choice(ODD_DATES))
        return encode_json(body), JSON_CT
    if kind == "empty":
        return b"", JSON_CT
    if kind == "truncated":
        text = encode_json(body)
        return text[: rng.randint(0, max(0, len(text) - 1))], JSON_CT
    if kind == "not_json":
        return (
            rng.choice(
                [
                    b"hello",
                    b"{'a': 1}",
                    b"{a:1}",
                    b"\x00\x01\x02",
                    bytes(rng.randrange(256) for _ in range(64)),
                    b"NaN",
                    b"{}}",
                ]
            ),
            JSON_CT,
        )
    if kind == "top_level":
        return rng.choice([b"null", b"[]", b"123", b'"text"', b"true", b"{}", b"[{}]"]), JSON_CT
    if kind == "deep_nesting":
        depth = rng.choice([200, 5000, 100000])
        return b"[" * depth + b"]" * depth, JSON_CT
    if kind == "duplicate_key" and isinstance(body, dict) and body:
        # The first key again, earlier and with another value: serde refuses duplicates.
        first = next(iter(body))
        text = encode_json(body)
        return b"{" + json.dumps(first).encode() + b': "dup", ' + text[1:], JSON_CT
    if kind == "wrong_content_type":
        ct = rng.choice(
            [
                "text/plain",
                FORM_CT,
                "multipart/form-data; boundary=x",
                "",
                "application/xml",
                "application/json; charset=utf-16",
                "application/jsonx",
                "*/*",
            ]
        )
        return encode_json(body), ct
    if kind == "form_body":
        return urllib.parse.urlencode(flatten_form(body)).encode(), rng.choice([FORM_CT, JSON_CT])
    if kind == "bom":
        return b"\xef\xbb\xbf" + encode_json(body), JSON_CT
    return encode_json(body), JSON_CT


def mutate_text_leaf(rng: random.Random, body: Any, path: tuple, kind: str) -> tuple[bytes, str]:
    current = get_at(body, path)
    raw = b""
    if kind == "control_char":
        value = control_text(rng, current)
    elif kind == "huge_string":
        value = huge_text(rng)
    elif kind == "unicode":
        value = current + rng.choice(ODD_UNICODE)
    elif kind == "blank":
        value = rng.choice(["", " ", "   ", "\t", "\u3000"])
    elif kind == "lone_surrogate":
        value = current + "\ud800"
    else:  # invalid_utf8 and raw_control: bytes that JSON text may not contain
        value = current + MARKER
        raw = (
            rng.choice(INVALID_UTF8)
            if kind == "invalid_utf8"
            else rng.choice([b"\x00", b"\x01", b"\x1f", b"\n"])
        )
    set_at(body, path, value)
    if kind == "lone_surrogate":
        return json.dumps(body).encode(), JSON_CT  # ensure_ascii keeps the "\ud800" escape
    return encode_json(body, raw), JSON_CT


def flatten_form(body: Any) -> list[tuple[str, str]]:
    """A JSON body as form pairs, the way a confused client might send it."""
    if not isinstance(body, dict):
        return [("body", json.dumps(body))]
    return [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in body.items()]


# ---------------------------------------------------------------------------------------------
# Form body mutations
# ---------------------------------------------------------------------------------------------


def encode_form(pairs: list[tuple[str, str | bytes]]) -> bytes:
    """Form encoding; a bytes value goes in as it is (not percent-encoded)."""
    parts = []
    for key, value in pairs:
        encoded = value if isinstance(value, bytes) else urllib.parse.quote_plus(value).encode()
        parts.append(urllib.parse.quote_plus(key).encode() + b"=" + encoded)
    return b"&".join(parts)


def mutate_form(rng: random.Random, body: dict, kind: str) -> tuple[bytes, str]:
    pairs: list[tuple[str, str | bytes]] = list(body.items())
    keys = [k for k, _ in pairs]

    def replace(value: str | bytes) -> list[tuple[str, str | bytes]]:
        if not pairs:
            return [("extra", value)]
        i = rng.randrange(len(pairs))
        return pairs[:i] + [(pairs[i][0], value)] + pairs[i + 1 :]

    current = str(pairs[0][1]) if pairs else ""
    if kind == "valid":
        return encode_form(pairs), FORM_CT
    if kind == "drop_key" and pairs:
        return encode_form([p for p in pairs if p[0] != rng.choice(keys)]), FORM_CT
    if kind == "extra_key":
        return encode_form(pairs + [(rng.choice(["extra", "id", "tier", ""]), "1")]), FORM_CT
    if kind == "duplicate_key" and pairs:
        return encode_form(pairs + [pairs[0]]), FORM_CT
    if kind == "control_char":
        return encode_form(replace(control_text(rng, current))), FORM_CT
    if kind == "raw_control":
        return (
            encode_form(replace(current.encode() + rng.choice([b"\x00", b"\x01", b"\r\n", b"\x7f"]))),
            FORM_CT,
        )
    if kind == "huge_string":
        return encode_form(replace(huge_text(rng))), FORM_CT
    if kind == "unicode":
        return encode_form(replace(current + rng.choice(ODD_UNICODE))), FORM_CT
    if kind == "invalid_utf8":
        raw = rng.choice(INVALID_UTF8)
        encoded = rng.choice([raw, "".join(f"%{b:02X}" for b in raw).encode()])
        return encode_form(replace(encoded)), FORM_CT
    if kind == "bad_percent":
        return encode_form(replace(rng.choice([b"%", b"%G1", b"%E", b"%%", b"a%2"]))), FORM_CT
    if kind == "wrong_type":
        values = [
            "abc",
            "",
            " 1",
            "1.5",
            "-1",
            "0",
            str(2**63),
            "99999999999999999999",
            "1e3",
            "0x10",
            "true",
            "null",
            "[]",
        ]
        return encode_form(replace(rng.choice(values))), FORM_CT
    if kind == "bracket_keys":
        key = rng.choice(keys or ["x"])
        return (
            rng.choice([f"{key}[]=1", f"{key}[a]=1", f"{key}[0][1]=2", f"{key}[=1", "[]=1"]).encode(),
            FORM_CT,
        )
    if kind == "separators":
        return rng.choice([b"&&&", b"=", b"===", b"&=&", b"a", b"a&b&c"]), FORM_CT
    if kind == "empty":
        return b"", FORM_CT
    if kind == "json_body":
        return json.dumps(body).encode(), rng.choice([JSON_CT, FORM_CT])
    if kind == "wrong_content_type":
        return encode_form(pairs), rng.choice(
            ["text/plain", JSON_CT, "", "multipart/form-data; boundary=x", "application/octet-stream"]
        )
    return encode_form(pairs), FORM_CT


# ---------------------------------------------------------------------------------------------
# Speech upload mutations (`POST /api/voice/stt`: raw audio or multipart)
# ---------------------------------------------------------------------------------------------


def multipart(
    parts: list[tuple[str, str | None, str | None, bytes]], boundary: str = "fuzzboundary"
) -> bytes:
    """A multipart body from (field, filename, content type, data) parts."""
    out = b""
    for name, filename, ctype, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def mutate_stt(rng: random.Random, kind: str) -> tuple[str, bytes, str]:
    """(query string, body, content type) for the speech upload."""
    wav = wav_bytes(rng.choice([50, 200]))
    mp = "multipart/form-data; boundary=fuzzboundary"
    if kind == "valid":
        return "", wav, rng.choice(["audio/wav", "application/octet-stream", ""])
    if kind == "garbage":
        return (
            "",
            bytes(rng.randrange(256) for _ in range(rng.choice([1, 64, 4096]))),
            rng.choice(["audio/webm", "audio/ogg", "audio/mpeg", ""]),
        )
    if kind == "magic_prefix":
        magic = rng.choice(
            [
                b"RIFF",
                b"RIFF\x00\x00\x00\x00WAVE",
                b"OggS",
                b"\x1aE\xdf\xa3",
                b"ID3",
                b"\xff\xfb",
                b"\x00\x00\x00\x18ftypM4A ",
            ]
        )
        return (
            "",
            magic + bytes(rng.randrange(256) for _ in range(128)),
            rng.choice(["audio/webm", "audio/mp4", "video/webm", ""]),
        )
    if kind == "truncated":
        return "", wav[: rng.randint(0, 60)], "audio/wav"
    if kind == "empty":
        return "", b"", rng.choice(["audio/wav", "", mp])
    if kind == "wrong_content_type":
        return (
            "",
            wav,
            rng.choice(["text/plain", JSON_CT, FORM_CT, "image/png", "audio/", "audio/wav; codecs=\x01"]),
        )
    if kind == "multipart_valid":
        return "", multipart([("audio", "a.wav", "audio/wav", wav), ("language", None, None, b"ko")]), mp
    if kind == "multipart_broken":
        choice = rng.randrange(5)
        if choice == 0:
            return "", multipart([("language", None, None, b"ko")]), mp  # no audio field
        if choice == 1:
            return "", multipart([("audio", "a.wav", "audio/wav", wav)])[:-20], mp  # cut short
        if choice == 2:
            return "", multipart([("audio", "a.wav", "audio/wav", wav)]), "multipart/form-data"  # no boundary
        if choice == 3:
            return (
                "",
                multipart([("audio", "a\x00.wav", "audio/wav", wav), ("language", None, None, b"\x00")]),
                mp,
            )
        return "", multipart([("audio", "a.wav", None, wav)] * 3), mp
    if kind == "bad_language":
        return (
            "?language=" + rng.choice(["xx", "%00", "ko&language=en", "a" * 5000, "%FF", "", "KO", "ko%00"]),
            wav,
            "audio/wav",
        )
    if kind == "multipart_bad_language":
        lang = rng.choice([b"xx", b"\x00", b"\xff", b"k" * 5000])
        return "", multipart([("audio", "a.wav", "audio/wav", wav), ("language", None, None, lang)]), mp
    return "", wav, "audio/wav"


# ---------------------------------------------------------------------------------------------
# Headers shared by every kind of case
# ---------------------------------------------------------------------------------------------


def cookie_header(rng: random.Random, target: Target, sessions: dict[str, str]) -> str | bytes | None:
    """The session cookie most of the time; sometimes none, sometimes a broken one."""
    roll = rng.random()
    main = sessions["main"] if target.own_session else sessions["spare"]
    if roll < 0.8:
        return f"{SESSION_COOKIE}={main}"
    if roll < 0.9:
        return None
    return rng.choice(
        [
            f"{SESSION_COOKIE}=",
            f"{SESSION_COOKIE}=deadbeef",
            f"{SESSION_COOKIE}={'f' * 64}",
            f"{SESSION_COOKIE}={'a' * 8000}",
            f"{SESSION_COOKIE}=%00",
            f"{SESSION_COOKIE}=\x00",
            f"{SESSION_COOKIE}={main}; {SESSION_COOKIE}=other",
            f";;;=;{SESSION_COOKIE}",
            f"{SESSION_COOKIE}=가나다".encode(),
            f"{SESSION_COOKIE}=\xff\xfe".encode("latin-1"),
        ]
    )


def idempotency_value(rng: random.Random, ctx: Context, index: int) -> str | bytes | None:
    return rng.choice(
        [
            None,
            f"fuzz-{ctx.seed}-{ctx.nonce}-{index}",
            "",
            " ",
            "k" * 201,
            "k" * 5000,
            "키".encode(),
            b"\xff",
            "\x01",
            "same-key-every-time",
        ]
    )


def common_headers(
    rng: random.Random,
    target: Target,
    method: str,
    ctx: Context,
    index: int,
    sessions: dict[str, str],
    base: str,
) -> list:
    headers: list[tuple[str, str | bytes]] = [
        ("Accept", rng.choice(["application/json"] * 8 + ["text/html", "*/*"]))
    ]
    cookie = cookie_header(rng, target, sessions)
    if cookie is not None:
        headers.append(("Cookie", cookie))
    if method not in ("GET", "HEAD", "OPTIONS"):
        # Same-site state changes only; a few cases check that foreign ones are refused.
        roll = rng.random()
        if roll < 0.96:
            headers.append(("Origin", base))
        elif roll < 0.98:
            headers.append(("Origin", rng.choice(["https://evil.test", "null", base + ".evil.test"])))
    if target.idempotency_header:
        key = idempotency_value(rng, ctx, index)
        if key is not None:
            headers.append(("Idempotency-Key", key))
    return headers


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------

JSON_KINDS = {
    "valid": 3,
    "drop_key": 5,
    "drop_optional": 1,
    "extra_key": 3,
    "wrong_type": 7,
    "number_edge": 6,
    "edge_valid": 1,
    "control_char": 8,
    "raw_control": 3,
    "huge_string": 4,
    "unicode": 2,
    "blank": 3,
    "invalid_utf8": 4,
    "lone_surrogate": 2,
    "date_edge": 2,
    "empty": 2,
    "truncated": 4,
    "not_json": 2,
    "top_level": 2,
    "deep_nesting": 1,
    "duplicate_key": 1,
    "wrong_content_type": 4,
    "form_body": 2,
    "bom": 1,
    "wrong_method": 2,
}
FORM_KINDS = {
    "valid": 3,
    "drop_key": 3,
    "extra_key": 2,
    "duplicate_key": 2,
    "control_char": 7,
    "raw_control": 3,
    "huge_string": 3,
    "unicode": 2,
    "invalid_utf8": 4,
    "bad_percent": 2,
    "wrong_type": 5,
    "bracket_keys": 2,
    "separators": 2,
    "empty": 2,
    "json_body": 3,
    "wrong_content_type": 3,
    "wrong_method": 2,
}
NOBODY_KINDS = {"valid": 4, "query_junk": 3, "body_on_get": 2, "wrong_method": 3}
STT_KINDS = {
    "valid": 2,
    "garbage": 3,
    "magic_prefix": 3,
    "truncated": 2,
    "empty": 2,
    "wrong_content_type": 2,
    "multipart_valid": 2,
    "multipart_broken": 4,
    "bad_language": 3,
    "multipart_bad_language": 2,
    "wrong_method": 1,
}
KINDS = {"json": JSON_KINDS, "form": FORM_KINDS, "none": NOBODY_KINDS, "stt": STT_KINDS}
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]

UNKNOWN_PATHS = [
    "/api",
    "/api/",
    "/api/nope",
    "/api/orders/1/pay/extra",
    "/api/orders/1/cancel",
    "/api/auth",
    "/api/auth/",
    "/api/auth/nope",
    "/api/voice",
    "/api/voice/",
    "/api/voice/tts",
    "/api/account",
    "/api/account/",
    "/api/account/delete",
    "/api/%00",
    "/api/%FF%FE",
    "/api/orders%2F1",
    "/api//orders",
    "/api/./orders",
    "/api/../api/orders",
    "/api/quote/extra",
    "/api/QUOTE",
    "/api/menu.json",
    "/api/openapi.yaml",
    "/api/orders?" + "x=1&" * 2000,
    "/api/" + "a" * 8000,
    "/api/voice_nope",
    "/api/checkout/",
    "/api/checkout/checkout/1",
    "/api/set_language/ko",
]


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def resolve_path(rng: random.Random, target: Target, ctx: Context, kind: str) -> tuple[str, str]:
    """The path to send, and the kind (a bad `{id}` becomes the case's kind)."""
    if not target.path_id:
        return target.path, kind
    if kind in ("valid", "wrong_method") or rng.random() < 0.6:
        # Our order, or one that does not exist (or is someone else's).
        order_id = rng.choice([ctx.order_id] * 3 + [1, ctx.order_id + 1000])
        return target.path.replace("{id}", str(order_id)), kind
    return target.path.replace("{id}", bad_ids(rng, ctx.order_id)), "bad_path_id"


def build_body(
    rng: random.Random, target: Target, ctx: Context, index: int, kind: str
) -> tuple[str, bytes | None, str]:
    """(query string, body, content type) for a target and mutation kind."""
    valid = target.valid(rng, ctx, index)
    if target.encoding == "json":
        body, ct = mutate_json(rng, valid, kind)
        return "", body, ct
    if target.encoding == "form":
        body, ct = mutate_form(rng, valid or {}, kind)
        return "", body, ct
    if target.encoding == "stt":
        return mutate_stt(rng, kind)
    if kind == "query_junk":
        return (
            "?"
            + rng.choice(
                [
                    "a=%00",
                    "id=abc",
                    "x=" + "y" * 5000,
                    "%FF=1",
                    "&&=&",
                    "limit=-1&offset=99999999999999999999",
                ]
            ),
            None,
            "",
        )
    if kind == "body_on_get":
        return "", rng.choice([b"{}", b"\x00\xff", b"a=1"]), rng.choice([JSON_CT, FORM_CT, "text/plain"])
    return "", None, ""


def choose_kind(rng: random.Random, target: Target, budget: list[int]) -> str:
    kind = weighted(rng, KINDS[target.encoding])
    if target.creates_orders and kind in MAY_STAY_VALID:
        if budget[0] <= 0:
            breaking = {k: w for k, w in JSON_KINDS.items() if k not in MAY_STAY_VALID}
            return weighted(rng, breaking)
        budget[0] -= 1
    return kind


def make_case(
    rng: random.Random, index: int, target: Target, kind: str, ctx: Context, sessions: dict, base: str
) -> Case:
    path, kind = resolve_path(rng, target, ctx, kind)
    method = target.method
    if kind == "wrong_method":
        method = rng.choice([m for m in METHODS if m != target.method])
    query, body, ct = build_body(
        rng, target, ctx, index, "valid" if kind in ("wrong_method", "bad_path_id") else kind
    )
    headers = common_headers(rng, target, method, ctx, index, sessions, base)
    if ct:
        headers.append(("Content-Type", ct))
    return Case(index, target.label, kind, method, path + query, headers, body)


def unknown_path_case(rng: random.Random, index: int, ctx: Context, sessions: dict, base: str) -> Case:
    method = rng.choice(METHODS)
    target = Target("unknown /api paths", method, "", "none")
    headers = common_headers(rng, target, method, ctx, index, sessions, base)
    body = rng.choice([None, b"{}", b"a=1", b"\x00"])
    if body is not None:
        headers.append(("Content-Type", rng.choice([JSON_CT, FORM_CT])))
    return Case(index, "unknown /api paths", "unknown_path", method, rng.choice(UNKNOWN_PATHS), headers, body)


def sweep_plans(ctx: Context) -> list[tuple[Target, tuple, int]]:
    """(target, text field, draw) for every text field of every target, so that NUL reaches
    each one rather than only those chance picks. Optional parts (a cake, notes) appear in some
    draws of a valid body only, so several draws are searched; `draw` seeds one that has it."""
    plans = []
    for target in targets():
        if target.encoding not in ("json", "form"):
            continue
        seen: dict[tuple, int] = {}
        for draw in range(40):
            sample = target.valid(random.Random(draw), ctx, 0) or {}
            for path in text_paths(sample) if target.encoding == "json" else [(k,) for k in sample]:
                # A list index is not a field: sweep the first element's fields only.
                if path not in seen and all(not isinstance(k, int) or k == 0 for k in path):
                    seen[path] = draw
        plans.extend((target, path, draw) for path, draw in seen.items())
    return plans


def nul_case(
    rng: random.Random, index: int, plan: tuple[Target, tuple, int], ctx: Context, sessions: dict, base: str
) -> Case:
    target, path, draw = plan
    body = target.valid(random.Random(draw), ctx, index) or {}
    set_at(body, path, get_at(body, path) + "\x00")
    data, ct = (
        (encode_json(body), JSON_CT)
        if target.encoding == "json"
        else (encode_form(list(body.items())), FORM_CT)
    )
    path_str, _ = resolve_path(rng, target, ctx, "valid")
    # Signed in, so the field gets past the log-in check to whatever reads it.
    session = sessions["main" if target.own_session else "spare"]
    headers = [
        ("Accept", JSON_CT),
        ("Cookie", f"{SESSION_COOKIE}={session}"),
        ("Origin", base),
        ("Content-Type", ct),
    ]
    return Case(
        index, target.label, "nul_sweep:" + ".".join(map(str, path)), target.method, path_str, headers, data
    )


def big_cases(seed: int, start: int, ctx: Context, sessions: dict, base: str) -> list[Case]:
    """A handful of 3 MB and 20 MB bodies, built only when sent."""

    def blob(size: int, salt: int) -> Callable[[], bytes]:
        # A short random pattern repeated: random-looking, cheap to build.
        return lambda: random.Random(seed * 1000 + salt).randbytes(4096) * (size // 4096)

    def huge_json(size: int, wrap: Callable[[str], Any]) -> Callable[[], bytes]:
        return lambda: json.dumps(wrap("x" * size)).encode()

    def b64(size: int, salt: int) -> Callable[[], bytes]:
        return lambda: json.dumps(
            {"audio_b64": base64.b64encode(blob(size, salt)()).decode(), "language": "ko"}
        ).encode()

    mb = 1024 * 1024
    plans = [
        (
            "POST /api/quote",
            "/api/quote",
            JSON_CT,
            huge_json(3 * mb, lambda s: {"draft": {"lines": [], "side_dishes": [], "pad": s}}),
        ),
        ("POST /api/orders", "/api/orders", JSON_CT, huge_json(20 * mb, lambda s: {"store": s})),
        ("POST /api/voice/stt", "/api/voice/stt", "audio/webm", blob(3 * mb, 1)),
        ("POST /api/voice/stt", "/api/voice/stt", "audio/wav", blob(20 * mb, 2)),
        ("POST /api/voice_transcribe", "/api/voice_transcribe", JSON_CT, b64(3 * mb // 4 * 3, 3)),
        ("POST /api/voice_transcribe", "/api/voice_transcribe", JSON_CT, b64(15 * mb, 4)),
        (
            "POST /api/account/login",
            "/api/account/login",
            FORM_CT,
            lambda: b"email=" + b"a" * (3 * mb) + b"&password=x",
        ),
    ]
    cases = []
    for offset, (label, path, ct, factory) in enumerate(plans):
        headers = [
            ("Accept", JSON_CT),
            ("Origin", base),
            ("Cookie", f"{SESSION_COOKIE}={sessions['main']}"),
            ("Content-Type", ct),
        ]
        cases.append(Case(start + offset, label, "big_body", "POST", path, headers, None, factory))
    return cases


def generate_cases(seed: int, count: int, ctx: Context, sessions: dict, base: str) -> list[Case]:
    rng = random.Random(seed)
    all_targets = targets()
    weights = [t.weight for t in all_targets] + [3]  # the last slot: unknown paths
    budget = [ORDER_CREATING_BUDGET]
    cases: list[Case] = []
    for plan in sweep_plans(ctx):
        cases.append(nul_case(rng, len(cases), plan, ctx, sessions, base))
    bigs = big_cases(seed, 0, ctx, sessions, base)
    while len(cases) < count - len(bigs):
        index = len(cases)
        pick = rng.choices(range(len(all_targets) + 1), weights)[0]
        if pick == len(all_targets):
            cases.append(unknown_path_case(rng, index, ctx, sessions, base))
            continue
        target = all_targets[pick]
        cases.append(make_case(rng, index, target, choose_kind(rng, target, budget), ctx, sessions, base))
    cases = cases[: max(0, count - len(bigs))]
    # Big bodies go last: a server that falls over on them cannot hide the other answers.
    for offset, case in enumerate(bigs[: count - len(cases)]):
        case.index = len(cases) + offset
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------
# Transport
# ---------------------------------------------------------------------------------------------


def connection(base: str, timeout: float) -> http.client.HTTPConnection:
    url = urllib.parse.urlsplit(base)
    cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    return cls(url.hostname, url.port, timeout=timeout)


def send(base: str, case: Case, timeout: float = REQUEST_TIMEOUT_S) -> Outcome:
    started = time.monotonic()
    conn = connection(base, timeout)
    try:
        # putrequest/putheader rather than request(): they let bytes header values and odd
        # paths through as they are.
        conn.putrequest(case.method, case.path, skip_accept_encoding=True)
        for name, value in case.headers:
            conn.putheader(name, value)
        body = case.payload()
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer a body it refuses before reading all of it
        resp = conn.getresponse()
        data = resp.read()
        return Outcome(
            resp.status,
            response=data[:SHOWN_BODY_CHARS].decode("utf-8", "replace"),
            seconds=time.monotonic() - started,
        )
    except (OSError, http.client.HTTPException) as err:
        reason = "timeout" if isinstance(err, (socket.timeout, TimeoutError)) else type(err).__name__
        return Outcome(None, error=f"{reason}: {err}", seconds=time.monotonic() - started)
    finally:
        conn.close()


def simple_request(
    base: str, method: str, path: str, body: Any = None, cookie: str | None = None
) -> tuple[int | None, dict, Any, list[str]]:
    """A plain JSON request for the setup: status, JSON answer, Set-Cookie headers."""
    conn = connection(base, REQUEST_TIMEOUT_S)
    headers = {"Accept": JSON_CT, "Origin": base}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = JSON_CT
    if cookie:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    try:
        conn.request(method, path, data, headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:200].decode("utf-8", "replace")
        return resp.status, dict(resp.getheaders()), parsed, resp.headers.get_all("Set-Cookie") or []
    except (OSError, http.client.HTTPException) as err:
        return None, {}, str(err), []
    finally:
        conn.close()


def session_from(set_cookies: list[str]) -> str | None:
    for value in set_cookies:
        name, _, rest = value.partition("=")
        if name.strip() == SESSION_COOKIE:
            token = rest.split(";", 1)[0]
            if token:
                return token
    return None


# ---------------------------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------------------------


def wait_for_server(base: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, *_ = simple_request(base, "GET", "/healthz")
        if status is not None and status < 500:
            return True
        time.sleep(0.5)
    return False


def setup(base: str, seed: int) -> tuple[Context, dict[str, str]]:
    """Signs up a fresh customer; makes one pending order for the order and payment cases."""
    # Only the account's email needs to be new on every run; the cases do not depend on it.
    nonce = os.urandom(4).hex()
    email = f"fuzz-main-{seed}-{nonce}@example.test"
    status, _, answer, cookies = simple_request(
        base,
        "POST",
        "/api/auth/signup",
        {"email": email, "password": PASSWORD, "name": "퍼즈", "phone": "010-0000-0000"},
    )
    main = session_from(cookies)
    if status is None or status >= 300 or not main:
        raise SystemExit(f"setup: sign-up answered {status}: {answer}")
    # A second session for the log-out cases, which would end the one the others use.
    status, _, answer, cookies = simple_request(
        base, "POST", "/api/auth/login", {"email": email, "password": PASSWORD}
    )
    spare = session_from(cookies) or main
    order_id = create_setup_order(base, main, random.Random(seed))
    ctx = Context(email=email, order_id=order_id, seed=seed, nonce=nonce)
    return ctx, {"main": main, "spare": spare}


def create_setup_order(base: str, cookie: str, rng: random.Random) -> int:
    body = order_request(rng)
    body["lines"] = [{"menu": "chicken", "style": "original", "quantity": 1}]
    body["delivery"]["requested_at"] = None
    status, _, answer, _ = simple_request(base, "POST", "/api/orders", body, cookie)
    if status is not None and status < 300 and isinstance(answer, dict) and "order_id" in answer:
        return int(answer["order_id"])
    print(f"setup: could not create an order ({status}: {answer}); using id 1", file=sys.stderr)
    return 1


# ---------------------------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------------------------


def is_failure(case: Case, outcome: Outcome) -> bool:
    if outcome.status is None:
        return True
    if outcome.status < 500:
        return False
    return not (case.voice() and outcome.status in (503, 504))


def run_cases(base: str, cases: list[Case], workers: int) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(cases)
    done = 0

    def one(i: int) -> None:
        nonlocal done
        outcomes[i] = send(base, cases[i])
        done += 1
        if done % 200 == 0:
            print(f"  {done}/{len(cases)} cases", file=sys.stderr)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(len(cases))))
    return [o for o in outcomes if o is not None]


def status_name(outcome: Outcome) -> str:
    return str(outcome.status) if outcome.status is not None else "no answer"


def case_record(case: Case, outcome: Outcome) -> dict:
    return {
        "case": case.index,
        "endpoint": case.label,
        "kind": case.kind,
        "method": case.method,
        "path": case.path[:SHOWN_BODY_CHARS],
        "content_type": case.content_type(),
        "body": case.shown_body(),
        "status": outcome.status,
        "error": outcome.error,
        "response": outcome.response,
    }


def summarize(
    base: str, seed: int, cases: list[Case], outcomes: list[Outcome], seconds: float, alive: bool
) -> dict:
    per_endpoint: dict[str, Counter] = defaultdict(Counter)
    per_status: Counter = Counter()
    failures, allowed = [], []
    for case, outcome in zip(cases, outcomes):
        name = status_name(outcome)
        per_endpoint[case.label][name] += 1
        per_status[name] += 1
        if is_failure(case, outcome):
            failures.append(case_record(case, outcome))
        elif outcome.status is not None and outcome.status >= 500:
            allowed.append(case_record(case, outcome))
    return {
        "base": base,
        "seed": seed,
        "cases": len(cases),
        "seconds": round(seconds, 1),
        "server_alive_at_end": alive,
        "per_endpoint": {
            k: {"cases": sum(v.values()), "statuses": dict(sorted(v.items()))}
            for k, v in sorted(per_endpoint.items())
        },
        "per_status": dict(sorted(per_status.items())),
        "failures": failures,
        "allowed_voice_5xx": len(allowed),
        "failure_groups": group_failures(failures),
    }


def group_failures(failures: list[dict]) -> list[dict]:
    groups: Counter = Counter((f["endpoint"], f["kind"].split(":")[0], f["status"]) for f in failures)
    return [
        {"endpoint": e, "kind": k, "status": s, "count": n}
        for (e, k, s), n in sorted(groups.items(), key=lambda x: (-x[1], str(x[0])))
    ]


def print_summary(report: dict, max_listed: int) -> None:
    print(
        f"\n{report['cases']} cases against {report['base']} (seed {report['seed']}) in {report['seconds']} s\n"
    )
    width = max(len(k) for k in report["per_endpoint"]) + 2
    print(f"{'endpoint':<{width}}{'cases':>6}  statuses")
    for endpoint, row in report["per_endpoint"].items():
        statuses = "  ".join(f"{code}×{n}" for code, n in row["statuses"].items())
        print(f"{endpoint:<{width}}{row['cases']:>6}  {statuses}")
    print(f"\n{'status':<12}{'count':>6}")
    for code, n in report["per_status"].items():
        print(f"{code:<12}{n:>6}")
    print(f"\nallowed voice 503/504: {report['allowed_voice_5xx']}")
    if not report["server_alive_at_end"]:
        print("FAILURE: the server no longer answers /healthz")
    failures = report["failures"]
    if not failures:
        print("no 5xx")
        return
    print(f"\nFAILURES: {len(failures)} (5xx or no answer), by endpoint and mutation:")
    for g in report["failure_groups"]:
        print(f"  {g['count']:>4}  {g['status'] or 'no answer'}  {g['endpoint']}  [{g['kind']}]")
    shown = failures if max_listed <= 0 else failures[:max_listed]
    print()
    for f in shown:
        print(f"#{f['case']} {f['status'] or f['error']} {f['method']} {f['path']} [{f['kind']}]")
        print(f"    content-type: {f['content_type']!r}")
        print(f"    body: {f['body']!r}")
        print(f"    answer: {f['response']!r}")
    if len(shown) < len(failures):
        print(f"... {len(failures) - len(shown)} more (see --report)")


def replay(base: str, case: Case) -> None:
    print(f"{case.method} {case.path}  [{case.label}, {case.kind}]")
    for name, value in case.headers:
        print(f"{name}: {value!r}")
    payload = case.payload() or b""
    print(f"\n{payload[:2000]!r}{' ...' if len(payload) > 2000 else ''} ({len(payload)} bytes)\n")
    outcome = send(base, case)
    print(f"-> {status_name(outcome)} in {outcome.seconds:.2f} s {outcome.error}\n{outcome.response}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", default="http://127.0.0.1:3100", help="the server's base URL")
    p.add_argument("--cases", type=int, default=2400, help="how many requests (at least 2000 recommended)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--workers", type=int, default=4, help="requests in flight at once (1: exact replay order)"
    )
    p.add_argument("--report", help="write the summary as JSON to this file")
    p.add_argument("--case", type=int, help="send only this case and print the whole exchange")
    p.add_argument("--max-listed", type=int, default=0, help="5xx listed on the console (0: all)")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    base = args.base.rstrip("/")
    if not wait_for_server(base):
        print(f"no server answering at {base}", file=sys.stderr)
        return 2
    try:
        ctx, sessions = setup(base, args.seed)
    except SystemExit as err:
        print(err, file=sys.stderr)
        return 2
    cases = generate_cases(args.seed, args.cases, ctx, sessions, base)
    if args.case is not None:
        replay(base, cases[args.case])
        return 0
    print(f"{len(cases)} cases, customer {ctx.email}, order {ctx.order_id}", file=sys.stderr)
    started = time.monotonic()
    outcomes = run_cases(base, cases, max(1, args.workers))
    alive = wait_for_server(base, 10)
    report = summarize(base, args.seed, cases, outcomes, time.monotonic() - started, alive)
    print_summary(report, args.max_listed)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=2)
    return 1 if report["failures"] or not alive else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
