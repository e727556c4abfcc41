"""Sessions and attestations through the CLI: every path, crash safety, concurrency."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from ikrar_cli.demo.office import write_sample_roster

PASS = {"IKRAR_PASSPHRASE": "rahasia-uji"}
ROOT = Path(__file__).resolve().parents[1]
ROSTER = (
    "NIP,Nama,Jabatan,Unit Kerja\n"
    "198609262015051001,Ahmad Yani,Kepala Dinas,Dinas Kesehatan\n"
    "200012312024211001,Siti Aminah,Perawat,Dinas Kesehatan\n"
    "197803122005011002,Andi Baso,Guru,Dinas Pendidikan\n"
)


def setup_terminal(ikrar, tmp_path: Path, roster: str = ROSTER, attest: bool = True) -> Path:
    from tests_paths import home_of

    assert ikrar("init", "--code", "UJI", "--timezone", "WITA").exit_code == 0
    for args in (
        ["key", "init-authority"],
        ["key", "new-terminal", "apel-1"],
        ["key", "certify", "apel-1", "--valid-from", "2024-01-01"],
    ):
        r = ikrar(*args, env=PASS)
        assert r.exit_code == 0, r.stderr
    f = tmp_path / "roster.csv"
    f.write_text(roster)
    assert ikrar("roster", "import", str(f)).exit_code == 0
    # what reports read: the signed roster and the signed bundle
    assert ikrar("roster", "publish", "--as-of", "2024-01-02", env=PASS).exit_code == 0
    assert ikrar("trust", "export", env=PASS).exit_code == 0
    r = ikrar(
        "session",
        "open",
        "--pledge",
        "pilkada-2024",
        "--title",
        "Apel Ikrar",
        "--location",
        "Halaman",
        "--force",
        "--reason",
        "uji",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    if attest:
        r = ikrar("attest", "--session", "1", "--nip", "19860926 201505 1 001", "--yes", env=PASS)
        assert r.exit_code == 0, r.stderr
    return home_of(ikrar)


def entries(home: Path) -> int:
    """Receipts in the ledger (session records are entries too, but sign no pledge)."""
    return sqlite3.connect(home / "ikrar.db").execute(
        "SELECT COUNT(*) FROM ledger_entries WHERE substr(leaf, 1, 13) != CAST('ikrar-session' AS BLOB)"
    ).fetchone()[0]


def test_session_open_refuses_expired_template_unless_forced_with_reason(ikrar, workspace: Path) -> None:
    assert ikrar("key", "init-authority", env=PASS).exit_code == 0
    assert ikrar("key", "new-terminal", "t", env=PASS).exit_code == 0
    assert ikrar("key", "certify", "t", env=PASS).exit_code == 0
    r = ikrar("--lang", "en", "session", "open", "--pledge", "pilkada-2020", "--title", "A", "--location", "B")
    assert r.exit_code == 5
    assert r.stderr.startswith("ikrar: Pledge pilkada-2020@1 is valid from 2020-09-01 to 2021-03-31, not on ")
    assert (
        ikrar("session", "open", "--pledge", "pilkada-2020", "--title", "A", "--location", "B", "--force").exit_code
        == 2
    )
    r = ikrar(
        "session",
        "open",
        "--pledge",
        "pilkada-2020",
        "--title",
        "A",
        "--location",
        "B",
        "--force",
        "--reason",
        "arsip",
        "--json",
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["forced_reason"] == "arsip"


def test_individual_attestation_and_already_pledged(ikrar, tmp_path: Path) -> None:
    home = setup_terminal(ikrar, tmp_path)
    first = ikrar("attest", "--session", "1", "--nip", "198609262015051001", "--yes", "--json", env=PASS)
    data = json.loads(first.stdout)
    assert data["existing"] is True and data["ledger_index"] == 1  # 0: the session record
    assert entries(home) == 1
    assert ikrar("verify", data["receipt"]).exit_code == 0
    r = ikrar("attest", "--session", "1", "--nip", "200012312024211001", env=PASS)
    assert r.exit_code == 2 and "--yes" in r.stderr


def test_unknown_typo_unlisted_inactive(ikrar, tmp_path: Path) -> None:
    home = setup_terminal(ikrar, tmp_path)
    r = ikrar("--lang", "en", "attest", "--session", "1", "--nip", "199001012015032002", "--yes", env=PASS)
    assert r.exit_code == 4 and "199001012015032002 is not on the roster" in r.stderr
    r = ikrar("--lang", "en", "attest", "--session", "1", "--nip", "198609312015051001", "--yes", env=PASS)
    assert r.exit_code == 3 and "not a real birth date" in r.stderr
    r = ikrar(
        "attest", "--session", "1", "--nip", "199001012015032002", "--yes", "--allow-unlisted", "--json", env=PASS
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["unlisted"] is True
    f = tmp_path / "r2.csv"
    f.write_text("NIP,Nama,Unit Kerja\n198609262015051001,Ahmad Yani,Dinas Kesehatan\n")
    assert ikrar("roster", "import", str(f), "--retire-missing").exit_code == 0
    r = ikrar("--lang", "en", "attest", "--session", "1", "--nip", "200012312024211001", "--yes", env=PASS)
    assert r.exit_code == 5 and "marked inactive" in r.stderr
    assert entries(home) == 2


def test_collective_attendance_with_slips(ikrar, tmp_path: Path) -> None:
    home = setup_terminal(ikrar, tmp_path)
    att = tmp_path / "hadir.csv"
    att.write_text(
        "No;NIP;Nama\n1;200012312024211001;x\n2;197803122005011002;x\n3;198609262015051001;sudah\n"
        "4;199001012015032002;asing\n5;1.97803E+17;rusak\n6;200012312024211001;ganda\n"
    )
    pdf = tmp_path / "slips.pdf"
    r = ikrar("attest", "--session", "1", "--attendance", str(att), "--pdf", str(pdf), "--slips", "--json", env=PASS)
    assert r.exit_code == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    summary = lines[-1]["summary"]
    assert [x["officer_id"] for x in lines[:-1]] == ["200012312024211001", "197803122005011002"]
    assert all(x["method"] == "collective" for x in lines[:-1])
    assert (summary["attested"], summary["already_attested"]) == (2, 1)
    assert [p["row"] for p in summary["unknown"]] == [5]
    assert [p["row"] for p in summary["invalid"]] == [6]
    assert [p["row"] for p in summary["duplicates"]] == [7]
    from pypdf import PdfReader

    assert len(PdfReader(pdf).pages) == 1
    r = ikrar("verify", str(pdf), "--json")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2
    assert entries(home) == 3


def test_close_checkpoint_prove_and_verify_proof(ikrar, tmp_path: Path) -> None:
    setup_terminal(ikrar, tmp_path)
    receipt = json.loads(
        ikrar("attest", "--session", "1", "--nip", "200012312024211001", "--yes", "--json", env=PASS).stdout
    )["receipt"]
    r = ikrar("ledger", "prove", receipt)
    assert r.exit_code == 5  # no checkpoint yet
    r = ikrar("session", "close", "1", env=PASS)
    assert r.exit_code == 0 and r.stdout.startswith("ikrar/UJI/")
    proof = tmp_path / "proof.txt"
    assert ikrar("ledger", "prove", receipt, "--out", str(proof)).exit_code == 0
    assert proof.read_text().startswith("c2sp.org/tlog-proof@v1\nindex 2\n")
    r = ikrar("verify", receipt, "--proof", str(proof), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["receipt"]["proof"]["checkpoint_size"] == 4  # 2 records
    other = proof.read_text().replace("index 2", "index 1")
    proof.write_text(other)
    r = ikrar("verify", receipt, "--proof", str(proof), "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["reason"] == "not_included"
    r = ikrar("--lang", "en", "attest", "--session", "1", "--nip", "197803122005011002", "--yes", env=PASS)
    assert r.exit_code == 5 and "Session 1 is closed" in r.stderr
    assert ikrar("ledger", "verify").exit_code == 0


def test_receipt_show_writes_png_svg_pdf(ikrar, tmp_path: Path) -> None:
    setup_terminal(ikrar, tmp_path)
    receipt = json.loads(
        ikrar("attest", "--session", "1", "--nip", "198609262015051001", "--yes", "--json", env=PASS).stdout
    )["receipt"]
    out = {k: tmp_path / f"r.{k}" for k in ("png", "svg", "pdf")}
    r = ikrar(
        "receipt",
        "show",
        receipt,
        "--png",
        str(out["png"]),
        "--svg",
        str(out["svg"]),
        "--pdf",
        str(out["pdf"]),
        "--json",
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["qr_version"] <= 10
    assert "<svg" in out["svg"].read_text() and "Ahmad Yani" in out["svg"].read_text()
    for k in ("png", "pdf"):
        v = ikrar("verify", str(out[k]), "--json")
        assert v.exit_code == 0, (k, v.stdout)


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, IKRAR_HOME=str(home), IKRAR_PASSPHRASE="rahasia-uji", PYTHONPATH=str(ROOT))


def test_kill_during_collective_loses_nothing_printed_and_rerun_completes(ikrar, tmp_path: Path) -> None:
    """kill -9 inside the third batch's transaction (500 officers each): the two committed batches are
    exactly what was printed, the open one leaves nothing, and a rerun records only who is missing."""
    from pausepoints import assert_write_transaction_open, dump, kill_hard, start_paused

    big = tmp_path / "big.csv"
    ids = write_sample_roster(big, 3000, seed=7)
    home = setup_terminal(ikrar, tmp_path, roster=big.read_text(encoding="utf-8-sig"), attest=False)
    att = tmp_path / "att.csv"
    att.write_text("NIP\n" + "\n".join(ids) + "\n")
    out = tmp_path / "printed.txt"
    with open(out, "w") as fh:
        proc = start_paused(
            [sys.executable, "-m", "ikrar_cli", "attest", "--session", "1", "--attendance", str(att)],
            _env(home),
            "collective.batch:3",
            stdout=fh,
        )
        assert_write_transaction_open(home / "ikrar.db")  # batch 3 is written, not committed
        committed = dump(home / "ikrar.db")
        kill_hard(proc)
    assert dump(home / "ikrar.db") == committed
    printed = [x for x in out.read_text().splitlines() if x.startswith("IKR1:")]
    assert len(printed) == 1000  # batches 1 and 2, each printed once it was durable
    conn = sqlite3.connect(home / "ikrar.db")
    stored = {r[0] for r in conn.execute("SELECT receipt FROM attestations")}
    assert set(printed) == stored
    assert {r[0] for r in conn.execute("SELECT officer_id FROM attestations")} == set(ids[:1000])
    assert entries(home) == 1000
    conn.close()
    assert (
        subprocess.run(
            [sys.executable, "-m", "ikrar_cli", "ledger", "verify"], env=_env(home), capture_output=True
        ).returncode
        == 0
    )
    done = subprocess.run(
        [sys.executable, "-m", "ikrar_cli", "attest", "--session", "1", "--attendance", str(att), "--json"],
        env=_env(home),
        capture_output=True,
        text=True,
    )
    summary = json.loads(done.stdout.splitlines()[-1])["summary"]
    assert (summary["attested"], summary["already_attested"]) == (2000, 1000)
    assert entries(home) == 3000
    conn = sqlite3.connect(home / "ikrar.db")
    assert conn.execute("SELECT COUNT(DISTINCT officer_id) FROM attestations").fetchone()[0] == 3000


def test_four_terminal_processes_on_one_workspace(ikrar, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    ids = write_sample_roster(big, 800, seed=11)
    home = setup_terminal(ikrar, tmp_path, roster=big.read_text(encoding="utf-8-sig"), attest=False)
    files = []
    for p in range(4):
        f = tmp_path / f"a{p}.csv"
        f.write_text("NIP\n" + "\n".join(ids[p * 200 : (p + 1) * 200]) + "\n")
        files.append(f)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ikrar_cli", "attest", "--session", "1", "--attendance", str(f)],
            env=_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for f in files
    ]
    seen, reported = [], []
    while any(p.poll() is None for p in procs):  # readers meanwhile see consistent, growing counts
        r = subprocess.run(
            [sys.executable, "-m", "ikrar_cli", "session", "show", "1", "--json"],
            env=_env(home),
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        seen.append(json.loads(r.stdout)["attested"])
        # reports count what a signed checkpoint covers: sign one, as the terminal does on close
        r = subprocess.run([sys.executable, "-m", "ikrar_cli", "ledger", "checkpoint"], env=_env(home),
                           capture_output=True, text=True)  # fmt: skip
        assert r.returncode == 0, r.stderr
        r = subprocess.run(
            [sys.executable, "-m", "ikrar_cli", "report", "compliance", "--pledge", "pilkada-2024", "--json"],
            env=_env(home),
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        rep = json.loads(r.stdout)
        t = rep["totals"]
        assert t["attested"] == t["individual"] + t["collective"]
        assert t["attested"] + t["missing"] + t["joined_later"] == t["active"] == 800
        assert sum(u["attested"] for u in rep["units"]) == t["attested"]  # one snapshot for every unit
        reported.append(t["attested"])
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    assert seen == sorted(seen) and reported == sorted(reported)
    conn = sqlite3.connect(home / "ikrar.db")
    idx = [r[0] for r in conn.execute("SELECT idx FROM ledger_entries ORDER BY idx")]
    assert idx == list(range(801))  # the session record and 800 receipts
    assert conn.execute("SELECT COUNT(DISTINCT officer_id) FROM attestations").fetchone()[0] == 800
    assert (
        subprocess.run(
            [sys.executable, "-m", "ikrar_cli", "ledger", "verify"], env=_env(home), capture_output=True
        ).returncode
        == 0
    )
