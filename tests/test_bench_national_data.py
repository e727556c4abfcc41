"""The national benchmark's generated data (bench/national_data.py) is what the real merge accepts.

The generator builds receipts with the library's encoders but without ``sign_receipt``'s receipt
string, in a copied template workspace: these tests prove that a small generated set still merges
whole through ``ikrar ledger merge`` (every signature, log chain, checkpoint and session record
checked) and that ``ikrar ledger verify`` then passes; that a resumed generation keeps the exports
already written; and that a second roster size links the roster and exports instead of remaking them.
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
import national_data as nd  # noqa: E402

PASS = {"IKRAR_PASSPHRASE": nd.PASS.decode()}


def _reference_nip(i: int) -> str:
    """The NIP family as first written (date arithmetic per officer)."""
    birth = date(1960, 1, 1) + timedelta(days=i % 7300)
    rest = i // 7300
    month = rest % 288
    rest //= 288
    sex, seq = rest % 2 + 1, rest // 2 + 1
    return f"{birth:%Y%m%d}{2000 + month // 12}{month % 12 + 1:02d}{sex}{seq:03d}"


def test_the_table_driven_nip_is_the_same_family() -> None:
    ids = [*range(0, 20_000, 7), *range(7299, 4_800_000, 7301), 9_999_999, 7300 * 576 - 1, 7300 * 576]
    assert [nd.nip(i) for i in ids] == [_reference_nip(i) for i in ids]
    assert len({nd.nip(i) for i in range(30_000)}) == 30_000


@pytest.mark.sqlite_only
def test_a_generated_set_merges_whole_and_verifies(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bench_national import certify_all

    data = nd.ensure(tmp_path / "data", 30, 45, 3, 4, workers=1)
    root = Path(data["root"])
    assert data["receipts"] == 45 and (root / "done.json").is_file()
    terminals = json.loads((root / "terminals.json").read_text())
    assert [t["receipts"] for t in terminals] == [15, 15, 15]
    lines = [json.loads(x) for x in (root / "exports" / "t0001.jsonl").read_text().splitlines()]
    assert lines[0]["format"] == "ikrar-ledger-export" and lines[1]["size"] == 16
    assert "record" in lines[2] and [x["i"] for x in lines[2:-1]] == list(range(16))
    assert lines[1]["public_key"] == terminals[1]["public_key"]

    home = tmp_path / "central"

    def central(*args: str):  # type: ignore[no-untyped-def]
        r = ikrar("--lang", "en", "--home", str(home), *args, env=PASS)
        assert r.exit_code == 0, (args, r.stdout, r.stderr)
        return r

    central("init", "--institution", "BKN", "--code", nd.CODE, "--timezone", "WIB")
    central("key", "init-authority")
    certify_all(home, terminals)
    central("roster", "import", str(root / "roster.csv"))
    central("ledger", "merge", *[str(root / "exports" / t["file"]) for t in terminals])
    central("ledger", "verify")
    from ikrar_cli.workspace import Workspace

    ws = Workspace.open(home)
    with ws.store.read() as conn:
        entries = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
        logs = conn.execute("SELECT count(*) FROM logs").fetchone()[0]
    ws.close()
    assert (entries, logs) == (45 + 3, 3)  # every receipt and each terminal's session record


def test_a_resumed_generation_keeps_written_exports_and_links_rosters(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Path(nd.ensure(data, 20, 12, 2, 3, workers=1)["root"])
    kept = (first / "exports" / "t0000.jsonl").read_bytes()
    keys = json.loads((first / "terminals.json").read_text())
    # an interrupted run: one export written, no terminals.json, no done marker
    (first / "exports" / "t0001.jsonl").unlink()
    (first / "terminals.json").unlink()
    (first / "done.json").unlink()
    again = json.loads(json.dumps(nd.ensure(data, 20, 12, 2, 3, workers=1)))
    assert again["receipts"] == 12 and (first / "exports" / "t0000.jsonl").read_bytes() == kept
    remade = json.loads((first / "terminals.json").read_text())
    assert remade[0] == keys[0] and remade[1]["public_key"] != keys[1]["public_key"]  # a fresh key
    assert base64.b64decode(remade[1]["public_key"]) and (first / "exports" / "t0001.jsonl").is_file()
    # the same officers with other receipts: the roster is linked, not written again
    other = Path(nd.ensure(data, 20, 6, 1, 3, workers=1)["root"])
    assert (other / "roster.csv").stat().st_ino == (first / "roster.csv").stat().st_ino
    # another roster size with the same receipts: the exports are linked
    bigger = Path(nd.ensure(data, 25, 12, 2, 3, workers=1)["root"])
    assert (bigger / "exports").resolve() == (first / "exports").resolve()
    assert len((bigger / "roster.csv").read_text().splitlines()) == 26  # its own roster: header + 25
