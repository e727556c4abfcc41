"""Short unit (OPD) codes: the curated table of common abbreviations, unambiguous fallbacks,
and the rules a code must follow.

Receipts carry the unit code, not the name (docs/receipt-format.md, claim 8), so a code is
what an auditor reads on a slip: it should be the abbreviation the region already uses
(``SETDA``, ``SETWAN``, ``DINKES``), never a look-alike that only the order of import decides
(``DP``, ``DP2``, ``DP3``). This module is a plain library (no database): the roster import
and the authority's unit registry call the same functions.

A code is 2 to 16 characters of what QR alphanumeric mode allows (``0-9 A-Z``, space and
``$ % * + - . / :``), upper case, with no space at either end and no two spaces in a row.
Up to 8 characters keep the worst-case receipt at QR version 10 (docs/receipt-format.md §6).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MIN_LEN, MAX_LEN, SHORT_LEN = 2, 16, 8
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_STOP = {"DAN", "SERTA", "DARI", "UNTUK", "PADA", "DI", "KABUPATEN", "KOTA", "PROVINSI", "DAERAH", "KAB", "PEMKAB"}

# (pattern on the normalised name, code); first match wins, so specific names come first.
CURATED: tuple[tuple[str, str], ...] = (
    (r"SEKRETARIAT (DPRD|DEWAN PERWAKILAN RAKYAT)|^SETWAN\b|^SEKWAN\b", "SETWAN"),
    (r"^SEKRETARIAT DAERAH|^SETDA\b|^SEKDA\b|^SEKRETARIAT KABUPATEN|^SEKRETARIAT KOTA", "SETDA"),
    (r"^INSPEKTORAT", "INSPEKTORAT"),
    (r"SATUAN POLISI PAMONG PRAJA|^SATPOL ?PP\b", "SATPOLPP"),
    (r"^DINAS PENDIDIKAN DAN KEBUDAYAAN", "DISDIKBUD"),
    (r"^DINAS PENDIDIKAN\b", "DISDIK"),
    (r"^DINAS KESEHATAN\b", "DINKES"),
    (r"^BADAN PERENCANAAN PEMBANGUNAN.*(RISET|PENELITIAN)", "BAPPERIDA"),
    (r"^BADAN PERENCANAAN PEMBANGUNAN", "BAPPEDA"),
    (r"^BADAN KEPEGAWAIAN DAN PENGEMBANGAN SUMBER DAYA MANUSIA", "BKPSDM"),
    (r"^BADAN KEPEGAWAIAN (DAN )?PENDIDIKAN DAN PELATIHAN", "BKPP"),
    (r"^BADAN KEPEGAWAIAN", "BKD"),
    (r"^BADAN PENDAPATAN.*PENGELOLAAN KEUANGAN", "BPPKAD"),
    (r"^BADAN PENGELOLAAN KEUANGAN DAN ASET", "BPKAD"),
    (r"^BADAN KEUANGAN DAN ASET", "BKAD"),
    (r"^BADAN KEUANGAN", "BKD KEU"),
    (r"^BADAN PENDAPATAN", "BAPENDA"),
    (r"^BADAN PENANGGULANGAN BENCANA", "BPBD"),
    (r"^BADAN KESATUAN BANGSA", "KESBANGPOL"),
    (r"^DINAS PEKERJAAN UMUM DAN PENATAAN RUANG", "DPUPR"),
    (r"^DINAS PEKERJAAN UMUM", "DPU"),
    (r"^DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL", "DISDUKCAPIL"),
    (r"^DINAS SOSIAL", "DINSOS"),
    (r"^DINAS PERHUBUNGAN", "DISHUB"),
    (r"^DINAS TANAMAN PANGAN|^DINAS PERTANIAN", "DISTAN"),
    (r"^DINAS KEBUDAYAAN DAN PARIWISATA|^DINAS PARIWISATA DAN KEBUDAYAAN", "DISBUDPAR"),
    (r"^DINAS PARIWISATA", "DISPAR"),
    (r"^DINAS KOMUNIKASI( DAN)? INFORMATIKA", "DISKOMINFO"),
    (r"^DINAS LINGKUNGAN HIDUP", "DLH"),
    (r"^DINAS PERUMAHAN( RAKYAT)? DAN KAWASAN PERMUKIMAN", "DISPERKIM"),
    (r"^DINAS PENANAMAN MODAL", "DPMPTSP"),
    (r"^DINAS PEMBERDAYAAN MASYARAKAT( DAN)? DESA", "DPMD"),
    (r"^DINAS PEMBERDAYAAN PEREMPUAN", "DP3A"),
    (r"^DINAS PENGENDALIAN PENDUDUK", "DPPKB"),
    (r"^DINAS TENAGA KERJA", "DISNAKER"),
    (r"^DINAS KOPERASI", "DISKOP"),
    (r"^DINAS PERINDUSTRIAN DAN PERDAGANGAN", "DISPERINDAG"),
    (r"^DINAS PERDAGANGAN", "DISDAG"),
    (r"^DINAS KELAUTAN DAN PERIKANAN", "DKP"),
    (r"^DINAS PERIKANAN", "DISKAN"),
    (r"^DINAS PETERNAKAN", "DISNAK"),
    (r"^DINAS KETAHANAN PANGAN", "DKPANGAN"),
    (r"^DINAS PEMUDA( DAN)? OLAHRAGA", "DISPORA"),
    (r"^DINAS PERPUSTAKAAN", "DISPUSIP"),
    (r"^DINAS PEMADAM KEBAKARAN", "DAMKAR"),
    (r"^RUMAH SAKIT UMUM DAERAH", "RSUD"),
)
_CURATED = tuple((re.compile(p), c) for p, c in CURATED)
_PAREN = re.compile(r"\(([A-Za-z0-9 ]{2,16})\)")


def normalise_name(name: str) -> str:
    """Upper case ASCII words: 'Dinas Pendidikan & Kebudayaan' -> 'DINAS PENDIDIKAN DAN KEBUDAYAAN'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper().replace("&", " DAN ")
    return " ".join(re.split(r"[^A-Z0-9]+", _PAREN.sub(" ", text))).strip()


def is_valid_code(code: str) -> bool:
    return (
        MIN_LEN <= len(code) <= MAX_LEN and set(code) <= QR_ALPHANUMERIC and code == code.strip() and "  " not in code
    )


def normalise_code(code: str) -> str:
    """What the user typed, as a code: upper case, surrounding spaces removed."""
    return " ".join(unicodedata.normalize("NFKC", code).upper().split(" ")).strip()


def curated_code(name: str) -> str | None:
    """The region's usual abbreviation for a unit name, from the curated table, or None."""
    m = _PAREN.search(name)
    if m and is_valid_code(normalise_code(m.group(1))):
        return normalise_code(m.group(1))  # the name says it: 'Dinas Kesehatan (DINKES)'
    norm = normalise_name(name)
    for pattern, code in _CURATED:
        if pattern.search(norm):
            return code
    return None


def _candidates(name: str) -> Iterable[str]:
    """Fallback codes from the words of the name, from shortest to most spelled out.

    'DINAS KEBERSIHAN' -> DK, DKEB, DKEBE, ... so that two units sharing initials get codes
    that each read as their own name (DKEBE / DKEBU), never a number that says nothing.
    """
    norm = normalise_name(name)
    kec = re.match(r"^(KECAMATAN|KELURAHAN|PUSKESMAS|DESA|UPTD|UPT|SD|SMP|SMA|TK)\b\s*(.*)$", norm)
    if kec and kec.group(2):
        prefix = {"KECAMATAN": "KEC", "KELURAHAN": "KEL", "PUSKESMAS": "PKM", "DESA": "DS"}.get(
            kec.group(1), kec.group(1)
        )
        rest = kec.group(2).replace(" ", "")
        for n in range(3, len(rest) + 1):
            yield (prefix + rest[:n])[:MAX_LEN]
        return
    words = [w for w in norm.split() if w not in _STOP] or norm.split() or ["UNIT"]
    initials = "".join(w if w.isdigit() else w[0] for w in words)
    if len(words) == 1:
        for n in range(min(len(words[0]), 3), len(words[0]) + 1):
            yield words[0][: min(n, MAX_LEN)]
        return
    yield initials[:MAX_LEN]
    head, last = initials[:-1], words[-1]
    for n in range(3, len(last) + 1):
        yield (head + last[:n])[:MAX_LEN]
    for k in range(len(words) - 2, -1, -1):  # spell out earlier words too
        spelled = "".join(w[:3] for w in words[k:])
        yield (initials[:k] + spelled)[:MAX_LEN]


def suggest_unit_code(name: str, taken: Iterable[str] | set[str] = ()) -> str:
    """A code for a unit name that is not in ``taken``: curated, else from the name's words.

    Numbers are added only when every spelled-out candidate is taken (two units whose names
    differ only in punctuation, say).
    """
    used = taken if isinstance(taken, set) else set(taken)
    first = curated_code(name)
    if first and first not in used:
        return first
    seen: list[str] = []
    for cand in _candidates(name):
        if len(cand) >= MIN_LEN and is_valid_code(cand) and cand not in used:
            return cand
        seen.append(cand)
    base = (first or (seen[0] if seen else "UNIT"))[: MAX_LEN - 2]
    n = 2
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"
