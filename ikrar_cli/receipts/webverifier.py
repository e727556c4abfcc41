"""The offline verifier page: one self-contained HTML file with the signed trust bundle inside.

The page (``ikrar_cli/web/page.html``, ``page.css``, ``cbor.js``, ``verify.js``, ``page.js``, inlined here) decodes and
checks receipts in the browser exactly as :mod:`ikrar_cli.receipts.verify` does, with WebCrypto Ed25519.
It loads nothing from anywhere: a Content-Security-Policy allows only the inline script and
style whose SHA-256 hashes it names. The bundle is embedded byte for byte as signed, with the
fingerprint of the authority it was checked against; the page checks that signature again.
See docs/web-verifier.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from .. import __version__
from ..fsutil import atomic_write_bytes, public_mode
from ..i18n import _, get_language, set_language
from ..keys.keyfiles import fingerprint
from ..keys.trust import TrustBundle, parse_bundle_bytes
from .receipt import CAUSES
from .verify import REASONS, reason_message

PAGE_NAME = "verify.html"
LANGUAGES = ("id", "en")
#: placeholders kept in the translated templates; the page fills them in
_PARAMS = {"kid": "{kid}", "when": "{when}", "reason": "{reason}", "institution": "{institution}"}
_REASONS = REASONS  # the CLI's reason codes, in its order


def _asset(name: str) -> str:
    return resources.files("ikrar_cli").joinpath("web", name).read_text(encoding="utf-8")


def _messages() -> dict[str, dict[str, Any]]:
    """The CLI's own sentences for every reason, in both languages, from the catalogues."""
    previous = get_language()
    out: dict[str, dict[str, Any]] = {}
    try:
        for lang in LANGUAGES:
            set_language(lang)
            out[lang] = {
                "reasons": {code: reason_message(code, **_PARAMS) for code in _REASONS},
                "causes": {cause: _(text, char="{char}") for cause, text in CAUSES.items()},
                "stale_bundle": _(
                    "The trust bundle expired on {when}; ask the authority for a newer one", when="{when}"
                ),
                "methods": {
                    "individual": _("individual confirmation"),
                    "collective": _("collective recitation"),
                },
            }
    finally:
        set_language(previous)
    return out


def _json_for_html(obj: Any) -> str:
    """JSON that is safe inside <script type="application/json"> (no '<', '>' or '&')."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def signer_fingerprint(signed_file: bytes) -> str:
    """The fingerprint of the authority key that signed a bundle file."""
    doc = json.loads(signed_file)
    kid = doc["signature"]["kid"]
    for a in doc["bundle"]["authority_keys"]:
        if a["kid"] == kid:
            return fingerprint(base64.b64decode(a["public_key"]))
    raise ValueError("signer")


def build_page(bundle: TrustBundle) -> str:
    """The page's HTML for a signed bundle (checked once more here: its signature and pin)."""
    signed = bundle.to_json_bytes()
    pin = signer_fingerprint(signed)
    checked = parse_bundle_bytes(signed, "bundle", [pin])
    data = {
        "format": "ikrar-verifier-page/1",
        "ikrar_version": __version__,
        "pins": [pin],
        "bundle": base64.b64encode(signed).decode("ascii"),
        "institution": checked.institution_name,
        "messages": _messages(),
    }
    # three files, one inline script: the decoder, the verifier, the page (see each file's head)
    script = "\n" + "\n".join(_asset(name) for name in ("cbor.js", "verify.js", "page.js")) + "\n"
    style = "\n" + _asset("page.css") + "\n"
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(script)}",
            f"style-src {_csp_hash(style)}",
            "img-src data:",
            "media-src blob: mediastream:",
            "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    values = {"CSP": csp, "STYLE": style, "DATA": _json_for_html(data), "SCRIPT": script}
    template = _asset("page.html")
    missing = [k for k in values if "{{" + k + "}}" not in template]
    if missing:
        raise ValueError(f"page.html lacks {missing}")
    # one pass, so text inside the data can never be taken for a placeholder
    page = re.sub(r"\{\{(CSP|STYLE|DATA|SCRIPT)\}\}", lambda m: values[m.group(1)], template)
    return page


def write_page(bundle: TrustBundle, out_dir: Path) -> Path:
    """Write ``out_dir/verify.html`` atomically and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / PAGE_NAME
    atomic_write_bytes(target, build_page(bundle).encode("utf-8"), mode=public_mode())  # public page
    return target
