"""A small office for the document tests: profile with letterhead and signatories, titled staff,
long unit names, one apel with individual and collective pledges; plus a throwaway e-seal CA."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PASS = {"IKRAR_PASSPHRASE": "rahasia-uji"}
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"

ROSTER = (
    "NIP;Nama;Golongan;Jabatan;Unit Kerja\n"
    "198609262015051001;dr. Ahmad Yani, M.Kes.;IV/a;Kepala Dinas;Dinas Kesehatan\n"
    "200012312024211001;Siti Aminah, S.Kep.;III/a;Perawat;Dinas Kesehatan\n"
    "199001012015032002;Drs. Nur Aisyah, M.Si.;III/b;Bidan;Dinas Kesehatan\n"
    "199203042019031005;dr. Zainal Abidin;III/b;Dokter;Dinas Kesehatan\n"
    "197803122005011002;Andi Baso, S.Pd.;IV/a;Guru;Dinas Pendidikan dan Kebudayaan\n"
    "198001012006041003;Made Wirawan;III/d;Perencana;Dinas Pemberdayaan Masyarakat dan Desa\n"
    "199304052020122006;Ir. Bambang Haryanto, M.T.;III/c;Analis;Dinas Pemberdayaan Masyarakat dan Desa\n"
    "198502022010011004;dr. Yohanes Siregar;III/c;Analis;Dinas Pemberdayaan Perempuan dan Perlindungan Anak\n"
    "198806072014022008;Wahyuni;II/c;Pengadministrasi;Dinas Pemberdayaan Perempuan dan Perlindungan Anak\n"
)
PROFILE = """
profile:
  letterhead:
    government: PEMERINTAH KABUPATEN JENEPONTO
    institution: Badan Kepegawaian dan Pengembangan Sumber Daya Manusia
    address: Jalan Lanto Dg. Pasewang No. 1, Jeneponto 92311
    logo: logo.png
  place: Jeneponto
  signatories:
    default:
      name: Drs. H. Muhammad Syarif, M.Si.
      nip: "196805121994031007"
      position: Kepala BKPSDM Kabupaten Jeneponto
    minutes:
      - {role: Pimpinan Apel, name: "H. Muhammad Amir, S.Sos.", nip: "197001011990031001", position: Sekretaris Daerah}
      - {role: Pembuat Berita Acara, name: "Rahmawati, S.E.", nip: "198203032006042009", position: Analis SDM Aparatur}
  unit_heads:
    DINKES: {name: "dr. Ahmad Yani, M.Kes.", nip: "198609262015051001", position: Kepala Dinas Kesehatan}
"""
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]  # fmt: skip


def indonesian_date(ts: int, zone: str = "Asia/Makassar") -> str:
    d = datetime.fromtimestamp(ts, tz=UTC).astimezone(ZoneInfo(zone)).date()
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def squash(text: str) -> str:
    """PDF text extraction breaks lines anywhere: compare without white space."""
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(path).pages]


def render(path: Path, name: str, *, scale: float = 1.5) -> list[Path]:
    """Every page as PNG under tests/artifacts (looked at by a person; a few go to docs/images)."""
    import pypdfium2 as pdfium

    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    out = []
    for i, page in enumerate(pdfium.PdfDocument(str(path)), 1):
        img = page.render(scale=scale).to_pil().convert("RGB")
        target = ARTIFACTS / f"{name}-{i}.png"
        img.save(target)
        out.append(target)
    return out


def make_logo(path: Path) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (200, 240), "white")
    d = ImageDraw.Draw(img)
    d.polygon([(100, 5), (195, 60), (175, 200), (100, 235), (25, 200), (5, 60)], fill=(22, 52, 94))
    d.ellipse([55, 60, 145, 150], fill=(230, 170, 20))
    img.save(path)


def build_office(ikrar, tmp_path: Path, *, close: bool = True) -> dict:  # type: ignore[no-untyped-def]
    from tests_paths import home_of

    r = ikrar("init", "--institution", "BKPSDM Kabupaten Jeneponto", "--code", "JNP", "--timezone", "WITA")
    assert r.exit_code == 0, r.stderr
    home = home_of(ikrar)
    make_logo(home / "logo.png")
    with (home / "ikrar.yaml").open("a", encoding="utf-8") as fh:
        fh.write(PROFILE)
    for args in (
        ["key", "init-authority"],
        ["key", "new-terminal", "apel-1"],
        ["key", "certify", "apel-1", "--valid-from", "2024-01-01"],
    ):
        assert ikrar(*args, env=PASS).exit_code == 0
    roster = tmp_path / "pegawai.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    r = ikrar("roster", "import", str(roster))
    assert r.exit_code == 0, r.stderr
    # reports read the signed roster snapshot (docs/compliance.md): everyone listed since yesterday
    from datetime import date, timedelta

    from ikrar_cli.reports.compliance import today_in

    day = (date.fromisoformat(today_in("Asia/Makassar")) - timedelta(days=1)).isoformat()
    r = ikrar("roster", "publish", "--as-of", day, env=PASS)
    assert r.exit_code == 0, r.stderr
    r = ikrar("session", "open", "--pledge", "pilkada-2024", "--title", "Apel Ikrar Netralitas ASN",
              "--location", "Halaman Kantor Bupati Jeneponto", "--force", "--reason", "uji")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    r = ikrar("attest", "--session", "1", "--nip", "198609262015051001", "--yes", "--json", env=PASS)
    individual = json.loads(r.stdout)
    hadir = tmp_path / "hadir.csv"
    hadir.write_text("NIP\n200012312024211001\n197803122005011002\n198001012006041003\n198502022010011004\n")
    r = ikrar("attest", "--session", "1", "--attendance", str(hadir), "--json", env=PASS)
    assert r.exit_code == 0, r.stderr
    collective = [json.loads(line) for line in r.stdout.splitlines() if '"receipt"' in line]
    if close:
        assert ikrar("session", "close", "1", env=PASS).exit_code == 0
    else:
        assert ikrar("ledger", "checkpoint", env=PASS).exit_code == 0
    # a report counts what signed checkpoints cover, against a signed bundle
    assert ikrar("trust", "export", env=PASS).exit_code == 0
    return {"home": home, "individual": individual, "collective": collective, "tmp": tmp_path}


def make_p12(folder: Path, passphrase: bytes | None = b"segel-rahasia") -> tuple[Path, object]:
    """A throwaway CA and an e-seal certificate it issued, as PKCS#12; returns (p12 path, CA cert)."""
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA Uji Segel")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, "BKPSDM Kabupaten Jeneponto"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pemerintah Kabupaten Jeneponto"),
        ]))  # fmt: skip
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    enc = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    path = folder / "segel.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"segel", key, leaf, [ca], enc))
    return path, ca
