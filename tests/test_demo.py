"""The README's main command: `ikrar demo` runs the whole flow and every receipt verifies."""

from __future__ import annotations

import json
from pathlib import Path


def test_demo_runs_everything_and_verifies_every_receipt(ikrar, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    r = ikrar("demo", "--out", str(out), "--officers", "60", "--collective", "40", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["officers"], d["individual"], d["collective"]) == (60, 5, 40)
    assert d["verified_valid"] == d["verified_total"] == 45
    for key in ("roster", "attendance", "slips", "receipts", "checkpoint", "bundle", "passphrase", "verifier",
                "snapshot", "package", "export", "report"):  # fmt: skip
        assert Path(d["files"][key]).is_file(), key
    # the new chain: published snapshot, packaged terminal, merged export, a report the auditor recomputes
    assert d["report_match"] is True
    rep = json.loads(Path(d["files"]["report"]).read_text())
    assert rep["totals"]["attested"] == 45 and rep["totals"]["active"] == 60
    r = ikrar("--home", str(out / "auditor"), "report", "verify", d["files"]["report"])
    assert r.exit_code == 0 and r.stdout.startswith("COCOK: ")
    page = Path(d["files"]["verifier"]).read_text()
    assert "ikrar-verifier-page/1" in page
    import re

    assert not re.search(r"""(src|href|action)\s*=\s*["']?(https?:)?//""", page)  # loads nothing from anywhere
    assert (out / "demo-passphrase.txt").stat().st_mode & 0o777 == 0o600
    from pypdf import PdfReader

    assert len(PdfReader(d["files"]["slips"]).pages) == 12  # 45 slips, 4 per page
    # the demo workspace is a real workspace: its ledger verifies and the kiosk's next session can open
    assert ikrar("--home", str(out), "ledger", "verify").exit_code == 0
    r = ikrar("--home", str(out), "demo", "--out", str(out))
    assert r.exit_code == 5
