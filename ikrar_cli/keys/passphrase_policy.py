"""How strong a new key's passphrase must be (docs/keys.md, "Passphrases").

A stolen key file can be attacked offline at the KDF's speed, so a new passphrase must have
at least :data:`MIN_LENGTH` characters, must not be only digits, and must reach zxcvbn score
:data:`MIN_SCORE` (an estimated 10^8 guesses or more: about 290 core-days at 250 ms a guess).
The estimate also counts the institution's and terminal's names and the words of the pledge
setting as easy guesses. Only new keys are checked: an existing key file still opens.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import KeyAccessError
from ..i18n import _

MIN_LENGTH = 10
MIN_SCORE = 3
#: words an attacker of an ikrar key file tries first
CONTEXT_WORDS = ("ikrar", "netralitas", "asn", "apel", "bkpsdm", "bkd", "pemilu", "pilkada", "terminal")


def check_new_passphrase(passphrase: bytes, context: Iterable[str] = ()) -> None:
    """Raise KeyAccessError (code ``weak_passphrase``) unless ``passphrase`` is strong enough."""
    hint = _("use {n} or more characters, e.g. three or four unrelated words", n=MIN_LENGTH)
    if not passphrase:
        raise KeyAccessError(_("An empty passphrase is not allowed"), hint, code="weak_passphrase")
    text = passphrase.decode("utf-8", "replace")
    if len(text) < MIN_LENGTH:
        raise KeyAccessError(
            _("The passphrase is too short ({length} characters; at least {n})", length=len(text), n=MIN_LENGTH),
            hint,
            code="weak_passphrase",
        )
    if text.strip().isdigit():
        raise KeyAccessError(_("A passphrase of digits only is too easy to guess"), hint, code="weak_passphrase")
    import zxcvbn

    words = [w for item in context for w in str(item).split() if w] + list(CONTEXT_WORDS)
    score = int(zxcvbn.zxcvbn(text[:100], user_inputs=words)["score"])
    if score < MIN_SCORE:
        raise KeyAccessError(
            _("The passphrase is too easy to guess (a common word, name, date, pattern or repetition)"),
            hint,
            code="weak_passphrase",
        )
