"""Generators of the sheet shapes HR really has, each as XLSX and as Indonesian-locale CSV.

Shapes: the office sheet (merged title rows, a two-row header, a ``1 2 3 …`` numbering row,
staff grouped per unit with ``JUMLAH`` subtotal rows and blank separator rows, a signature
block), SIASN API columns, SAPK upper-case columns and the usual BKPSDM sheet. ``month=2``
is the next month's file: two new officers, three transfers between units, two retirements
(absent rows), one promotion, the rank column renamed and the status column left out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path

SHAPES = ("office", "siasn", "sapk", "bkpsdm")
FORMATS = ("xlsx", "csv")

# (unit name, the code ikrar should give it)
UNITS = (
    ("Sekretariat Daerah", "SETDA"),
    ("Sekretariat DPRD", "SETWAN"),
    ("Inspektorat", "INSPEKTORAT"),
    ("Satuan Polisi Pamong Praja", "SATPOLPP"),
    ("Dinas Pendidikan dan Kebudayaan", "DISDIKBUD"),
    ("Dinas Kesehatan", "DINKES"),
    ("Dinas Pariwisata", "DISPAR"),
    ("Dinas Perhubungan", "DISHUB"),
    ("Dinas Pertanian", "DISTAN"),
)
SUB_UNITS = ("Sub Bagian Umum", "Bidang Pelayanan")
FIRST = ("Andi", "Muhammad", "Siti", "Nur", "Ahmad", "Rahmawati", "Syamsul", "André", "Hasanuddin", "Fatimah")
LAST = ("Baso", "Rahman", "Aminah", "Hidayat", "Syam", "Tahir", "Ramli", "Simões", "Kadir", "Latif")
RANKS = ("III/a", "III/b", "III/c", "III/d", "IV/a")
PER_UNIT = 4
GOVERNMENT = "Pemerintah Kab. Jeneponto"


@dataclass(frozen=True)
class Staff:
    nip: str
    name: str
    front: str
    back: str
    position: str
    unit: str
    sub_unit: str
    rank: str
    status: str

    @property
    def grouped_nip(self) -> str:
        n = self.nip
        return f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}"

    @property
    def full_name(self) -> str:
        text = f"{self.front} {self.name}" if self.front else self.name
        return f"{text}, {self.back}" if self.back else text


def _nip(i: int) -> str:
    born = f"{1970 + i % 15:04d}{1 + i % 12:02d}{1 + i % 28:02d}"
    appointed = f"{2005 + i % 10:04d}{1 + (i * 5) % 12:02d}"
    return f"{born}{appointed}{1 + i % 2}{i + 1:03d}"


def staff(month: int = 1) -> list[Staff]:
    people = []
    for u, (unit, _code) in enumerate(UNITS):
        for k in range(PER_UNIT):
            i = u * PER_UNIT + k
            people.append(
                Staff(
                    nip=_nip(i),
                    name=f"{FIRST[i % len(FIRST)]} {LAST[(i * 3) % len(LAST)]}",
                    front="Dr." if i % 7 == 0 else "",
                    back="S.E." if i % 3 == 0 else "",
                    position="Analis Kebijakan" if k else "Kepala",
                    unit=unit,
                    sub_unit=SUB_UNITS[k % 2],
                    rank=RANKS[i % len(RANKS)],
                    status="PNS",
                )
            )
    if month == 1:
        return people
    by_nip = {p.nip: p for p in people}
    for nip, to in TRANSFERS.items():
        by_nip[nip] = replace(by_nip[nip], unit=UNITS[to][0])
    for nip in RETIRED:
        del by_nip[nip]
    by_nip[PROMOTED] = replace(by_nip[PROMOTED], rank="IV/b")
    for i in (90, 91):
        by_nip[_nip(i)] = Staff(_nip(i), f"Pegawai Baru {i}", "", "S.Kom.", "Pranata Komputer", UNITS[5][0],
                                SUB_UNITS[0], "III/a", "PNS")  # fmt: skip
    return sorted(by_nip.values(), key=lambda p: ([u for u, _c in UNITS].index(p.unit), p.nip))


# next month: officer -> index of the new unit
TRANSFERS = {_nip(0): 5, _nip(5): 0, _nip(13): 8}  # SETDA -> DINKES, SETWAN -> SETDA, SATPOLPP -> DISTAN
RETIRED = (_nip(9), _nip(30))
PROMOTED = _nip(22)
NEW = (_nip(90), _nip(91))


def unit_code(name: str) -> str:
    return dict(UNITS)[name]


# ------------------------------------------------------------------------------ row layouts
def _bkpsdm(people: list[Staff], month: int) -> list[list[str]]:
    head = ["No", "NIP", "Nama", "Golongan" if month == 1 else "GOL", "Jabatan", "Unit Kerja"]
    if month == 1:
        head.append("Status Kepegawaian")
    rows = [head]
    for n, p in enumerate(people, 1):
        row = [str(n), p.grouped_nip, p.full_name, p.rank, p.position, p.unit]
        if month == 1:
            row.append(p.status)
        rows.append(row)
    return rows


def _siasn(people: list[Staff], month: int) -> list[list[str]]:
    head = ["nipBaru", "nipLama", "nama", "gelarDepan", "gelarBelakang", "nik", "jenisPegawaiNama"]
    head += ["statusPegawai"] if month == 1 else []
    head += ["unorNama", "unorIndukNama", "satuanKerjaKerjaNama", "jabatanNama"]
    head += ["golRuangAkhir" if month == 1 else "golRuang", "pangkatAkhir"]
    rows = [head]
    for i, p in enumerate(people):
        row = [p.nip, f"{140000000 + i}", p.name, p.front, p.back, "", "PNS"]
        row += [p.status] if month == 1 else []
        row += [p.sub_unit, p.unit, GOVERNMENT, p.position, p.rank, "Penata"]
        rows.append(row)
    return rows


def _sapk(people: list[Staff], month: int) -> list[list[str]]:
    head = ["PNS_ID", "NIP_BARU", "NIP_LAMA", "NAMA", "GELAR_DEPAN", "GELAR_BELAKANG", "TGL_LAHIR", "NIK"]
    head += ["NAMA_GOLONGAN" if month == 1 else "GOL_RUANG", "NAMA_PANGKAT", "JABATAN_INSTANSI_NAMA"]
    head += ["UNOR_INDUK_NAMA", "UNOR_NAMA", "SATUAN_KERJA_NAMA"]
    head += ["KEDUDUKAN_HUKUM_NAMA"] if month == 1 else []
    rows = [head]
    for i, p in enumerate(people):
        born = f"{p.nip[6:8]}-{p.nip[4:6]}-{p.nip[:4]}"
        row = [f"8ae48{i:05d}", p.nip, f"{140000000 + i}", p.name.upper(), p.front, p.back, born, ""]
        row += [p.rank, "Penata", p.position, p.unit, p.sub_unit, GOVERNMENT]
        row += [p.status.replace("PNS", "Aktif")] if month == 1 else []
        rows.append(row)
    return rows


OFFICE_WIDTH = 7


def _office(people: list[Staff], month: int) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """Rows and merged ranges (first row, first col, last row, last col; 0-based)."""
    w = OFFICE_WIDTH
    blank = [""] * w
    rows = [
        ["DAFTAR PEGAWAI NEGERI SIPIL"] + [""] * (w - 1),
        ["PEMERINTAH KABUPATEN JENEPONTO"] + [""] * (w - 1),
        [f"KEADAAN BULAN {'OKTOBER' if month == 1 else 'NOVEMBER'} 2026"] + [""] * (w - 1),
        blank,
        ["NO", "NIP", "NAMA", "PANGKAT / GOLONGAN", "", "JABATAN", "UNIT KERJA"],
        ["", "", "", "GOL. RUANG" if month == 1 else "GOL", "TMT", "", ""],
        [str(i) for i in range(1, w + 1)],
    ]
    merges = [(0, 0, 0, w - 1), (1, 0, 1, w - 1), (2, 0, 2, w - 1), (4, 3, 4, 4)]
    merges += [(4, c, 5, c) for c in (0, 1, 2, 5, 6)]
    n = 0
    for unit, _code in UNITS:
        group = [p for p in people if p.unit == unit]
        for p in group:
            n += 1
            rows.append([str(n), p.grouped_nip, p.full_name, p.rank, "01-04-2024", p.position, p.unit])
        rows.append(["", "JUMLAH", "", "", "", "", f"{len(group)} orang"])
        rows.append(blank)
    rows += [
        ["", "", "", "", "", "Jeneponto, 1 November 2026", ""],
        ["", "", "", "", "", "Kepala BKPSDM", ""],
        blank,
        ["", "", "", "", "", "NIP. 19700101 199503 1 001", ""],
    ]
    return rows, merges


def rows_of(shape: str, month: int = 1) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    people = staff(month)
    if shape == "office":
        return _office(people, month)
    return {"siasn": _siasn, "sapk": _sapk, "bkpsdm": _bkpsdm}[shape](people, month), []


def write_sheet(path: Path, shape: str, month: int = 1, fmt: str | None = None) -> Path:
    """Write ``shape`` as XLSX (merged cells kept) or as CSV saved by Indonesian-locale Excel:
    ``;`` between cells, UTF-8 with BOM (SIASN, SAPK) or Windows-1252 (office, BKPSDM sheets)."""
    fmt = fmt or path.suffix.lstrip(".")
    rows, merges = rows_of(shape, month)
    if fmt == "xlsx":
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet("Pegawai")
        merged_cells = set()
        for r0, c0, r1, c1 in merges:
            ws.merge_range(r0, c0, r1, c1, rows[r0][c0])
            merged_cells |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if (r, c) not in merged_cells and v != "":
                    ws.write_string(r, c, v)
        wb.close()
        return path
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    if shape in ("office", "bkpsdm"):
        path.write_bytes(buf.getvalue().encode("cp1252"))
    else:
        path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path
