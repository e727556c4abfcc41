"""Text from data never drives the terminal: control characters show as escapes, rich markup
prints as written, through verify, report, roster list/show and session list."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import receipt_helpers as h
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_recitation import PASS, setup_terminal

from ikrar_cli.fsutil import atomic_write_text
from ikrar_cli.keys.keyfiles import fingerprint, raw_public
from ikrar_cli.keys.trust import key_id, signed_bundle_file
from ikrar_cli.receipts.receipt import sign_receipt
from ikrar_cli.textsafe import printable

ROOT = Path(__file__).resolve().parents[1]
# what a terminal acts on: C0 but newline, DEL, C1, and the bidi controls
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def no_raw_control(text: str) -> bool:
    return RAW_CONTROL.search(text) is None


@pytest.fixture
def bundle_args(tmp_path: Path) -> list[str]:
    auth = h.authority()
    f = tmp_path / "bundle.json"
    f.write_bytes(signed_bundle_file(h.bundle(), auth.sign, key_id(raw_public(auth))))
    return ["--bundle", str(f), "--fingerprint", fingerprint(raw_public(auth))]


def test_batch_verify_prints_an_escape_sequence_name_harmlessly(ikrar, bundle_args: list[str]) -> None:
    term = h.terminal()
    kid = h.certificate(term, h.authority()).kid
    evil = sign_receipt(h.claims(officer_name="Andi Baso\x1b[1A\x1b[2K"), term.sign, kid).text
    r = ikrar("--lang", "en", "verify", *bundle_args, "-", input="IKR1:RUSAK\n" + evil + "\n")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("INVALID") and any(x.startswith("VALID") for x in lines)
    assert no_raw_control(r.stdout + r.stderr)
    assert "Andi Baso\\x1b[1A\\x1b[2K" in r.stdout
    r = ikrar("verify", *bundle_args, evil, "--json")
    assert "\x1b" not in r.stdout and json.loads(r.stdout)["receipt"]["officer_name"] == "Andi Baso\x1b[1A\x1b[2K"


def test_verify_prints_markup_and_bidi_in_names_as_written(ikrar, bundle_args: list[str]) -> None:
    term = h.terminal()
    kid = h.certificate(term, h.authority()).kid
    text = sign_receipt(h.claims(officer_name="[bold]A[/] \u202eB\x9b2J"), term.sign, kid).text
    r = ikrar("--lang", "en", "verify", *bundle_args, text)
    assert r.exit_code == 0 and no_raw_control(r.stdout)
    assert "[bold]A[/] \\u202eB\\x9b2J" in r.stdout


def test_batch_verify_json_escapes_bidi_and_c1_controls_on_every_line(ikrar, bundle_args: list[str]) -> None:
    """``verify - --json`` writes a line per receipt, escaped a thousand lines at a time
    (textsafe.json_lines): every line is JSON, no control reaches the terminal raw, names round-trip."""
    term = h.terminal()
    kid = h.certificate(term, h.authority()).kid
    names = ["Andi \u202eB\x9b2J", "Siti \u2066A\u2069 \x85", "Baso\u200f\u061c", "Plain Name"]
    texts = [sign_receipt(h.claims(officer_name=n), term.sign, kid).text for n in names]
    r = ikrar("verify", *bundle_args, "-", "--json", input="\n".join(texts) + "\n")
    assert r.exit_code == 0, r.stderr
    assert no_raw_control(r.stdout) and "\u2028" not in r.stdout
    lines = r.stdout.splitlines()
    assert [json.loads(x)["receipt"]["officer_name"] for x in lines] == names
    assert [json.loads(x)["input"] for x in lines] == [f"stdin:{i}" for i in range(1, 5)]


def test_report_compliance_with_markup_in_a_unit_name(ikrar, tmp_path: Path) -> None:
    roster = (
        "NIP,Nama,Jabatan,Unit Kerja\n"
        "198609262015051001,Ahmad [red]Yani,Kepala,Dinas [/] Kacau\n"
        "200012312024211001,Siti [/bold] Aminah,Perawat,Dinas [/] Kacau\n"
    )
    setup_terminal(ikrar, tmp_path, roster=roster)
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024")
    assert r.exit_code == 0, r.stderr
    assert "Dinas [/] Kacau" in r.stdout and "Siti [/bold] Aminah" in r.stdout
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--all")
    assert r.exit_code == 0, r.stderr


names = st.lists(
    st.sampled_from([*"Ab [/]\\:#", "\x1b", "\x07", "\x9b", "\u202e", "\x00", "[bold]", "[/]", "\r"]),
    min_size=1,
    max_size=10,
).map("".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, unit=names)
def test_roster_list_show_and_session_list_never_print_raw_controls_or_crash(
    ikrar, workspace: Path, tmp_path: Path, name: str, unit: str
) -> None:
    f = tmp_path / "r.csv"
    atomic_write_text(f, "NIP,Nama,Unit Kerja\n" + f'198609262015051001,"A {name}","Dinas {unit}"\n')
    r = ikrar("roster", "import", str(f))
    assert r.exit_code in (0, 3), r.stderr
    assert no_raw_control(r.stdout + r.stderr)
    if r.exit_code:
        return
    stored = json.loads(ikrar("roster", "show", "198609262015051001", "--json").stdout)
    for args in (
        ("roster", "list"),
        ("roster", "show", "198609262015051001"),
        ("roster", "units"),
        ("roster", "stats"),
    ):
        out = ikrar(*args)
        assert out.exit_code == 0, (args, out.stderr)
        assert no_raw_control(out.stdout + out.stderr), args
    shown = ikrar("roster", "show", "198609262015051001").stdout
    assert printable(stored["display_name"]) in shown
    listed = ikrar("roster", "list").stdout
    # the table may wrap a name over lines: each word of it is shown (its start at least)
    assert all(word[:4] in listed for word in printable(stored["display_name"]).split())


def test_session_titles_with_markup_and_controls(ikrar, tmp_path: Path) -> None:
    setup_terminal(ikrar, tmp_path, attest=False)
    args = ("session", "open", "--pledge", "pilkada-2024", "--location", "x", "--force", "--reason", "uji")
    r = ikrar(*args, "--title", "Apel [/] \x1b[2J kedua", env=PASS)
    for cmd in (("session", "list"), ("session", "show", "1"), ("session", "show", "2")):
        out = ikrar(*cmd)
        assert out.exit_code in (0, 4), out.stderr
        assert no_raw_control(out.stdout + out.stderr)
    if r.exit_code == 0:
        assert "Apel [/] \\x1b[2J kedua" in ikrar("session", "list").stdout + ikrar("session", "show", "2").stdout


def test_error_messages_quote_input_bounded_and_escaped(ikrar, workspace: Path) -> None:
    r = ikrar("--lang", "en", "roster", "show", "X\x1b[2K" + "9" * 5000)
    assert r.exit_code == 4 and no_raw_control(r.stderr) and len(r.stderr) < 1200


# ------------------------------------------------------------------------------------------
# Static check: rich output of data goes through safe()/plain()
# ------------------------------------------------------------------------------------------

WRAPPERS = {"safe", "plain", "format_local", "str", "len", "_"}
# numbers, and names bound to constants or translated sentences only
NUMERIC = {"ledger_idx", "coverage", "n", "m", "i", "id", "colour", "head"}


def _unsafe_parts(node: ast.AST) -> list[str]:
    """Placeholders of an f-string that put data in without safe()/plain()."""
    bad = []
    if isinstance(node, ast.JoinedStr):
        for part in node.values:
            if not isinstance(part, ast.FormattedValue):
                continue
            v = part.value
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in WRAPPERS:
                continue
            if isinstance(v, ast.Attribute) and v.attr in NUMERIC or isinstance(v, ast.Name) and v.id in NUMERIC:
                continue
            if isinstance(v, ast.BinOp) or part.format_spec is not None:
                continue  # arithmetic and number formats
            bad.append(ast.unparse(v))
    return bad


def _walk_unwrapped(node: ast.AST):  # type: ignore[no-untyped-def]
    """ast.walk that does not enter safe(...) or plain(...)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("safe", "plain"):
        return
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _walk_unwrapped(child)


def test_cli_rich_prints_escape_every_data_placeholder() -> None:
    problems = []
    for path in sorted((ROOT / "ikrar_cli" / "cli").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            if call.func.attr not in ("print", "rule", "add_row", "input"):
                continue
            for arg in call.args:
                for expr in _walk_unwrapped(arg):
                    for bad in _unsafe_parts(expr):
                        problems.append(f"{path.name}:{call.lineno}: {{{bad}}}")
    assert problems == []
