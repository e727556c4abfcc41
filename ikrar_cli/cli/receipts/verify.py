"""``ikrar verify``: VALID or INVALID with the precise reason, for every receipt given."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ...i18n import _
from ..app import AppContext, json_option, pass_app

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from ...keys.trust import TrustBundle
    from ...receipts.verify import VerificationResult

MAX_LINE = 8192


def bundle_options(bundle_help: str) -> Callable[[F], F]:
    """``--bundle FILE`` and ``--fingerprint FP``, shared by every command that checks receipts."""

    def decorate(f: F) -> F:
        f = click.option(
            "--fingerprint", "fp", default=None, help=_("Authority fingerprint that --bundle must be signed by")
        )(f)
        return click.option("--bundle", "bundle_path", type=click.Path(path_type=Path), default=None, help=bundle_help)(
            f
        )

    return decorate


def load_bundle(app: AppContext, bundle_path: Path | None, fp: str | None) -> TrustBundle:
    from ...keys.trustpolicy import bundle_for

    ws = app.workspace() if bundle_path is None or app.has_workspace() else None
    return bundle_for(ws, bundle_path, fp)


def _inputs(items: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(label, receipt text) for each argument: strings, '-' (stdin lines), image/PDF files."""
    from ...errors import InputError

    for item in items:
        if item == "-":
            yield from _stdin_receipts()
            continue
        upper = item.strip().upper()
        looks_like_receipt = upper.startswith("IKR") or "#IKR" in upper or "\n" in item
        path = Path(item)
        if (
            not looks_like_receipt
            and not path.exists()
            and ("/" in item or path.suffix.lower() in (".pdf", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"))
        ):
            yield item, "\x00" + _("File not found: {path}", path=path)
            continue
        if item.strip() and not looks_like_receipt and path.exists():
            from ...receipts.qr import decode_file

            try:
                found = decode_file(path)
            except InputError as exc:
                yield item, "\x00" + exc.message
                continue
            for text in found:
                yield item, text
        else:
            yield item if len(item) < 40 else item[:37] + "...", item[:MAX_LINE]


def starts_receipt(line: str) -> bool:
    """In a list of receipts, a line starting with IKR or HTTP (any case) starts a new one; any
    other line continues the receipt above (a receipt wrapped on a slip, docs/receipt-format.md §1)."""
    return line.lstrip(" \t")[:4].upper().startswith(("IKR", "HTTP"))  # only the head: lines are long


def _stdin_receipts() -> Iterator[tuple[str, str]]:
    """(label, text) per receipt on stdin; a blank line also ends a receipt."""
    label, parts = "", list[str]()
    for n, line in enumerate(sys.stdin, 1):
        text = line.rstrip("\r\n")
        if parts and (not text.strip() or starts_receipt(text)):
            yield label, "\n".join(parts)[:MAX_LINE]
            parts = []
        if text.strip():
            if not parts:
                label = f"stdin:{n}"
            parts.append(text)
    if parts:
        yield label, "\n".join(parts)[:MAX_LINE]


def pick_receipt(text: str) -> str:
    """The receipt in a scanned or pasted text: a bare receipt, or a verifier link whose fragment
    holds it (percent-encoded in QR codes, see ikrar_cli/receipts/qr.py). The first reading that decodes
    wins; if none does, the text's own last reading gets the verdict."""
    from ...errors import VerificationError
    from ...receipts.qr import receipt_candidates
    from ...receipts.receipt import decode_receipt

    options = receipt_candidates(text)
    for option in options[:-1]:
        try:
            decode_receipt(option)
            return option
        except VerificationError:  # not this reading
            continue
    return options[-1]


def render(result: VerificationResult, label: str) -> str:
    from ..output import plain
    from ..recitation.recitation_common import method_label

    if result.valid:
        d = result.details
        who = f"{plain(d['officer_name'])} " if d.get("officer_name") else ""
        lines = [_("VALID   {who}{id} — {pledge}", who=who, id=plain(d["officer_id"]), pledge=plain(d["pledge"]))]
        lines.append(
            "        "
            + _(
                "{unit} · {time} · session {session} · {method} · ledger #{index}",
                unit=plain(d.get("unit_name") or d["unit"]),
                time=d["time_local"],
                session=plain(d.get("session_id") or d["session"]),
                method=method_label(d["method"]),
                index=d["ledger_index"],
            )
        )
    else:
        lines = [_("INVALID {label}: {reason}", label=plain(label), reason=result.message)]
    lines += ["        " + _("warning: {text}", text=w) for w in result.warning_messages]
    return "\n".join(lines)


@click.command(
    help=_(
        "Verify receipts: strings (IKR1:…), '-' for one per line on stdin, "
        "or image/PDF files with a QR code. Exit 0 only if all are valid."
    )
)
@click.argument("receipts", nargs=-1, required=True)
@bundle_options(_("Verify against this trust bundle file instead of the workspace's"))
@click.option(
    "--proof",
    "proof",
    type=click.Path(path_type=Path),
    default=None,
    help=_("Also check an inclusion proof (from 'ikrar ledger prove') for the receipt"),
)
@click.option(
    "--witness-policy",
    "witness_policy",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=_("With --proof: the proof's checkpoint must be cosigned as this witness policy requires"),
)
@click.option("--proof-from", "proof_from", metavar="URL", default=None,
              help=_("Also fetch the receipt's inclusion proof from the centre at URL and check it"))
@json_option
@pass_app
def verify(
    app: AppContext,
    receipts: tuple[str, ...],
    bundle_path: Path | None,
    fp: str | None,
    proof: Path | None,
    witness_policy: Path | None,
    proof_from: str | None = None,
) -> None:
    from ...receipts.verify import VerificationResult, Verifier
    from ...textsafe import json_lines

    policy = None
    if witness_policy is not None:
        from ...errors import UsageError
        from ...witness.policy import load_policy

        if proof is None:
            raise UsageError(
                _("--witness-policy checks the checkpoint of an inclusion proof"),
                _("add --proof FILE (from 'ikrar ledger prove')"),
            )
        policy = load_policy(witness_policy)
    verifier = Verifier(load_bundle(app, bundle_path, fp))
    all_valid = True
    out = sys.stdout
    buffer: list[Any] = []  # result dicts (--json) or rendered texts, written a thousand at a time

    def flush() -> None:
        out.write((json_lines(buffer) if app.json else "\n".join(buffer)) + "\n")
        buffer.clear()

    count = 0
    for label, text in _inputs(receipts):
        if text.startswith("\x00"):
            result = VerificationResult(False, "unreadable", text[1:], input=label)
        else:
            result = verifier.verify(text)  # a link's fragment or the text itself (receipts/verify._decode_any)
        if result.valid and proof is not None:
            from ..ledger.ledger_proof import check_proof

            result = check_proof(result, proof, verifier.bundle, policy)
        if result.valid and proof_from is not None:
            from ..ledger.ledger_proof import check_proof_from

            result = check_proof_from(result, proof_from, verifier.bundle)
        all_valid &= result.valid
        count += 1
        if app.json:
            item = result.to_dict()  # a new dict: "input" added last
            item["input"] = label
            buffer.append(item)
        else:
            buffer.append(render(result, label))
        if len(buffer) >= 1000:
            flush()
    if buffer:
        flush()
    out.flush()
    if count == 0:
        click.echo(_("ikrar: no receipt found in the input"), err=True)
        all_valid = False
    if not all_valid:
        from ..errors import EXIT_INVALID

        raise click.exceptions.Exit(EXIT_INVALID)
