"""The centre answers in the asker's language: Bahasa Indonesia unless the request's Accept-Language
prefers English; `ikrar ledger push` asks in the user's language. Checked on a real `ikrar serve`
(uvicorn child) for the centre on each engine, and the header parser as a property."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sync_world import attest, log_of, make_world

from ikrar_cli.i18n import LANGUAGES, _, get_language, set_language, speaking
from ikrar_cli.server.language import choose_language

pytest.importorskip("uvicorn")
from sync_proc import Server  # noqa: E402

PG_CENTRAL_ONLY = True


@pytest.mark.sqlite_only  # no workspace involved: once is enough
@pytest.mark.parametrize(
    "header,lang",
    [(None, "id"), ("", "id"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("id", "id"), ("fr, de;q=0.9", "id"),
     ("fr, en;q=0.1", "en"), ("id;q=0.4, en;q=0.8", "en"), ("en;q=0, id", "id"), ("en;q=0", "id"), ("*", "id"),
     ("en;q=abc", "id"), ("en;q=2", "id"), ("en;q=0.5, id;q=0.5", "en"), ("in-ID", "id"), ("EN", "en")],
)  # fmt: skip
def test_choose_language(header: str | None, lang: str) -> None:
    assert choose_language(header) == lang


@pytest.mark.sqlite_only
@given(st.text(max_size=300))
def test_any_header_gives_a_supported_language(header: str) -> None:
    assert choose_language(header) in LANGUAGES


@pytest.mark.sqlite_only
def test_a_scoped_language_is_for_its_own_thread_only() -> None:
    set_language("id")
    inside, seen = threading.Event(), threading.Event()
    got: dict[str, str] = {}

    def other() -> None:
        inside.wait()
        got["other"] = get_language()
        seen.set()

    t = threading.Thread(target=other)
    t.start()
    with speaking("en"):
        got["inside"] = get_language()
        inside.set()
        seen.wait()
    t.join()
    assert got == {"inside": "en", "other": "id"}
    assert get_language() == "id"


def _get(url: str, lang: str | None = None, data: bytes | None = None) -> tuple[int, Any, Any]:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if lang:
        req.add_header("Accept-Language", lang)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read())


def expected(lang: str, msgid: str, **kw: object) -> str:
    with speaking(lang):
        return _(msgid, **kw)


def test_server_messages_in_the_requesters_language(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    central, (t1,), nips = make_world(ikrar, tmp_path, 1)
    attest(t1, nips[0])
    central("key", "revoke", log_of(t1), "--reason", "hilang")
    server = Server(central.home)
    try:
        url = server.url
        # an unsigned push: 401, message in Indonesian by default, English when asked
        for lang, want in ((None, "id"), ("en", "en"), ("en-GB,en;q=0.8", "en"), ("fr", "id")):
            status, headers, body = _get(f"{url}/v1/push", lang, data=b"{}\n")
            assert status == 401 and headers.get("Content-Language") == want
            assert body["error"]["code"] == "unsigned"
            assert body["error"]["message"] == expected(
                want, "the request is not signed (missing or malformed Ikrar-* headers)")  # fmt: skip
            assert body["error"]["hint"] == expected(want, "check the terminal's certificate, clock and trust bundle")
        assert expected("id", "the request is not signed (missing or malformed Ikrar-* headers)") != expected(
            "en", "the request is not signed (missing or malformed Ikrar-* headers)")  # fmt: skip
        # a proof the centre does not hold (404 from the service) and a path that does not exist (404 of the router)
        for lang in ("id", "en"):
            status, headers, body = _get(f"{url}/v1/logs/{log_of(t1)}/proof/3", lang)
            assert status == 404 and body["error"]["message"] == expected(
                lang, "No signed checkpoint of log {log} covers entry {index}", log=log_of(t1), index=3)  # fmt: skip
            status, _h, body = _get(f"{url}/v1/nothing", lang)
            assert (status, body["error"]["code"]) == (404, "not_found")
            assert body["error"]["message"] == expected(lang, "No such endpoint: {path}", path="/v1/nothing")
            status, _h, body = _get(f"{url}/v1/logs", lang, data=b"")
            assert (status, body["error"]["code"]) == (405, "method_not_allowed")
        # `ikrar ledger push` asks in the user's language: the centre's reason comes back in it
        kid = log_of(t1)
        for args, lang in ((("--lang", "id"), "id"), (("--lang", "en"), "en")):
            r = ikrar(*args, "--home", str(t1.home), "ledger", "push", url, env={"IKRAR_PASSPHRASE": "rahasia-uji"})
            assert r.exit_code == 8, r.stderr
            assert expected(lang, "key {kid} was revoked: {reason}", kid=kid, reason="hilang") in r.stderr
            st_ = ikrar(*args, "--home", str(t1.home), "ledger", "status", "--json")
            last = json.loads(st_.stdout)["logs"][0]["last_error"]
            assert expected(lang, "key {kid} was revoked: {reason}", kid=kid, reason="hilang") in last
    finally:
        server.stop()
