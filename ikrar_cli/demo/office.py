"""The whole flow once, in a throwaway workspace: roster, keys, session, attestations,
slips, checkpoint, trust bundle, and auditor-side verification of every receipt."""

from __future__ import annotations

import csv
import os
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..i18n import _

UNITS = [
    "Sekretariat Daerah",
    "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia (BKPSDM)",
    "Dinas Pendidikan dan Kebudayaan (DISDIKBUD)",
    "Dinas Kesehatan (DINKES)",
    "Dinas Pekerjaan Umum dan Penataan Ruang (PUPR)",
    "Dinas Kependudukan dan Pencatatan Sipil (DUKCAPIL)",
    "Badan Perencanaan Pembangunan Daerah (BAPPEDA)",
    "Inspektorat Daerah (INSPDA)",
    "Satuan Polisi Pamong Praja (SATPOLPP)",
    "Kecamatan Binamu (KECBNM)",
]
FIRST = [
    "Andi",
    "Muhammad",
    "Siti",
    "Nur",
    "Ahmad",
    "Sri",
    "Dewi",
    "Budi",
    "Rahmat",
    "Fitri",
    "Agus",
    "Hasan",
    "Ni Luh",
    "I Made",
    "Yohanes",
    "Maria",
    "Abdul",
    "Rini",
    "Syamsul",
    "Wahyuni",
    "Baso",
    "Daeng",
    "Putri",
]
LAST = [
    "Mappanyukki",
    "Rahman",
    "Wulandari",
    "Saputra",
    "Hidayat",
    "Lestari",
    "Nasution",
    "Siregar",
    "Pratama",
    "Kurniawan",
    "Sulastri",
    "Tandiayu",
    "Ramadhani",
    "Setiawan",
    "Anggraini",
    "Pakpahan",
    "Makkawaru",
]
TITLES_FRONT = ["", "", "", "Dr.", "H.", "Hj.", "Ir.", "drg."]
TITLES_BACK = ["", "", "S.Pd.", "S.H.", "S.Kep., Ns.", "S.E., M.M.", "S.T.", "M.Si.", "S.Sos."]
POSITIONS = [
    "Pelaksana",
    "Analis Kepegawaian",
    "Guru Ahli Pertama",
    "Perawat Terampil",
    "Kepala Seksi",
    "Kepala Bidang",
    "Pengadministrasi Umum",
    "Penata Laporan Keuangan",
    "Kepala Sub Bagian",
]


@dataclass
class DemoReport:
    home: Path
    officers: int = 0
    individual: list[str] = field(default_factory=list)
    collective: int = 0
    verified_valid: int = 0
    verified_total: int = 0
    files: dict[str, Path] = field(default_factory=dict)
    fingerprint: str = ""
    session_id: int = 0
    forced_reason: str | None = None
    report_match: bool = False
    coverage: float | None = None


def _nip(rng: random.Random, pppk: bool = False) -> str:
    born = date(rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28))
    serial = rng.randint(1, 999)
    sex = rng.choice("12")
    if pppk:
        return f"{born:%Y%m%d}{rng.randint(max(born.year + 20, 2019), 2024)}2{rng.randint(1, 3)}{sex}{serial:03d}"
    year = rng.randint(born.year + 19, min(born.year + 35, 2023))
    return f"{born:%Y%m%d}{year}{rng.randint(1, 12):02d}{sex}{serial:03d}"


def write_sample_roster(path: Path, n: int, seed: int = 2024) -> list[str]:
    """A realistic BKPSDM sheet (semicolon CSV with BOM, as Indonesian Excel writes it)."""
    rng = random.Random(seed)
    ids: list[str] = []
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(
            [
                "No",
                "NIP",
                "Nama",
                "Gelar Depan",
                "Gelar Belakang",
                "Jabatan",
                "Unit Kerja",
                "Golongan",
                "Status Kepegawaian",
            ]
        )
        seen: set[str] = set()
        while len(ids) < n:
            pppk = rng.random() < 0.2
            nip = _nip(rng, pppk)
            if nip in seen:
                continue
            seen.add(nip)
            ids.append(nip)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            w.writerow(
                [
                    len(ids),
                    f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}",
                    name,
                    rng.choice(TITLES_FRONT),
                    rng.choice(TITLES_BACK),
                    rng.choice(POSITIONS),
                    rng.choice(UNITS),
                    "IX" if pppk else rng.choice(["II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]),
                    "PPPK" if pppk else "PNS",
                ]
            )
    return ids


def run_demo(
    home: Path,
    *,
    officers: int = 400,
    individual: int = 5,
    collective: int = 300,
    say: Callable[[str], None] = lambda _m: None,
) -> DemoReport:
    from ..keys.keyfiles import fingerprint, init_authority, load_terminal_signer
    from ..keys.trust import add_bundle
    from ..ledger.log import Ledger
    from ..pledges.templates import PledgeLibrary
    from ..receipts.slips import write_slips_pdf
    from ..receipts.verify import Verifier
    from ..recitation.attest import Recorder, close_session, local_day, open_session
    from ..roster.importer import import_roster
    from ..store.core import now
    from ..workspace import Workspace

    report = DemoReport(home)
    ws = Workspace.init(
        home, institution="BKPSDM Kabupaten Contoh", code="DEMO", unit=None, timezone="WITA", language="id"
    )
    passphrase = secrets.token_urlsafe(18)
    pass_file = home / "demo-passphrase.txt"
    fd = os.open(pass_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(passphrase + "\n")
    report.files["passphrase"] = pass_file
    secret = passphrase.encode()

    roster_file = home / "contoh-daftar-pegawai.csv"
    ids = write_sample_roster(roster_file, officers)
    imp = import_roster(ws.store, roster_file)
    report.officers = imp.added
    report.files["roster"] = roster_file
    say(_("Roster: {n} officers in {u} units imported from {path}", n=imp.added, u=len(UNITS), path=roster_file))

    auth = init_authority(ws, secret)
    report.fingerprint = fingerprint(auth.public_key)
    today = local_day(now(), ws.config.timezone)
    from .flow import provision_terminal, publish_roster

    publish_roster(ws, secret, today, report, say)
    authority_ws = ws
    ws = provision_terminal(authority_ws, secret, home, report, say)
    signer = load_terminal_signer(ws, secret)
    say(_("Keys: authority {fp}, terminal {name} certified", fp=report.fingerprint[:23] + "…", name=signer.name))

    pledge = PledgeLibrary.load().get("pilkada-2024")
    reason = None
    if not pledge.is_valid_on(today):
        reason = _(
            "demonstration: the template's validity window ({start} to {end}) has passed",
            start=pledge.valid_from,
            end=pledge.valid_until,
        )
    ledger = Ledger(ws.store)
    session = open_session(
        ws,
        ledger,
        kid=signer.kid,
        terminal_name=signer.name,
        public_key=signer.public_key_raw,
        pledge=pledge,
        title="Apel Ikrar Netralitas ASN Pilkada 2024",
        location="Halaman Kantor Bupati",
        force_reason=reason,
    )
    report.session_id, report.forced_reason = session.id, reason
    say(_("Session {id} open for {ref}", id=session.id, ref=pledge.ref))

    recorder = Recorder(ws, ledger, signer)
    receipts = []
    for nip in ids[:individual]:
        att = recorder.attest(session.id, nip)
        receipts.append(att.receipt)
        report.individual.append(att.receipt)
    say(_("{n} officers pledged one by one at the kiosk path", n=individual))

    attendance = home / "daftar-hadir-apel.csv"
    with open(attendance, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["NIP", "Nama"])
        for nip in ids[individual : individual + collective]:
            w.writerow([nip, ""])
        w.writerow(["1.98609E+17", "baris rusak dari Excel"])
    report.files["attendance"] = attendance
    new: list[Any] = []
    rows = ((i + 2, r[0]) for i, r in enumerate(csv.reader(open(attendance, encoding="utf-8"))) if i > 0)
    col = recorder.attest_many(session.id, (r for r in rows), on_committed=new.extend)
    report.collective = col.attested
    receipts += [a.receipt for a in new]
    say(
        _(
            "Collective recitation: {n} recorded from {path} ({bad} bad row reported)",
            n=col.attested,
            path=attendance,
            bad=len(col.invalid),
        )
    )

    from ..receipts.receipt import decode_receipt
    from ..receipts.slips import Slip
    from ..receipts.view import slip_for, unit_names

    units = unit_names(ws)
    library = PledgeLibrary.load()

    def slip(text: str) -> Slip:
        return slip_for(ws, library, text, decode_receipt(text).claims, signer.name, units)

    slips_pdf = home / "slip-tanda-terima.pdf"
    write_slips_pdf(slips_pdf, (slip(t) for t in receipts))
    report.files["slips"] = slips_pdf
    receipts_txt = home / "tanda-terima.txt"
    receipts_txt.write_text("\n".join(receipts) + "\n", encoding="utf-8")
    report.files["receipts"] = receipts_txt

    closed = close_session(ws, ledger, session.id, signer)
    checkpoint = home / "checkpoint.txt"
    checkpoint.write_text(closed.close_checkpoint or "", encoding="utf-8")
    report.files["checkpoint"] = checkpoint
    from .flow import merge_and_report

    merge_and_report(authority_ws, ws, home, pledge.id, today, report, say)
    bundle_file = report.files["bundle"]
    from ..keys.trust import parse_bundle_bytes
    from ..receipts.webverifier import write_page

    bundle = parse_bundle_bytes(bundle_file.read_bytes(), bundle_file, [report.fingerprint])
    report.files["verifier"] = write_page(bundle, home / "verifier")
    ws.close()
    authority_ws.close()

    auditor_home = home / "auditor"
    auditor = Workspace.init(auditor_home, institution="Auditor", code="AUD", unit=None, timezone="WIB", language="id")
    trusted, _outcome = add_bundle(auditor, bundle_file, report.fingerprint)
    from .flow import audit_report

    audit_report(auditor, report, say)
    verifier = Verifier(trusted)
    for text in receipts_txt.read_text(encoding="utf-8").splitlines():
        report.verified_total += 1
        report.verified_valid += verifier.verify(text).valid
    auditor.close()
    report.files["auditor"] = auditor_home
    say(
        _(
            "Auditor workspace: {ok} of {n} receipts VALID against the pinned trust bundle",
            ok=report.verified_valid,
            n=report.verified_total,
        )
    )
    return report
