"""One error hierarchy for everything a user can run into.

Every error carries a message that says *what* went wrong and *where* (file, row,
column), and a hint that names the next thing to try. The CLI maps each class to
an exit code in one place (``ikrar_cli.cli.errors``); the library never exits.
Messages are already translated when raised (see ``ikrar_cli.i18n``).
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "IkrarError",
    "InputError",
    "KeyAccessError",
    "NotFoundError",
    "StorageError",
    "TrustError",
    "UsageError",
    "VerificationError",
    "is_database_error",
]


class IkrarError(Exception):
    """Base class: a problem the user can understand and act on."""

    #: short machine-readable kind, used in --json output
    kind = "error"

    def __init__(self, message: str, hint: str | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        #: optional fine-grained reason code (e.g. "bad_signature") for --json
        self.code = code
        #: optional structured report (e.g. every invalid row of an import) for --json
        self.details: dict[str, object] | None = None

    def diagnostics(self) -> str:
        """The one line shown to a person: what, where, and what to try next."""
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "code": self.code, "message": self.message, "hint": self.hint}
        if self.details is not None:
            data["details"] = self.details
        return data


class UsageError(IkrarError):
    """An option or argument value that makes no sense (detected past click's parsing)."""

    kind = "usage"


class InputError(IkrarError):
    """Bad content in a file or value the user gave us (template, roster, receipt text...)."""

    kind = "input"


class NotFoundError(IkrarError):
    """Something named does not exist: workspace, pledge, officer, session, key."""

    kind = "not_found"


class ConflictError(IkrarError):
    """The request contradicts the stored state (already exists, closed session, fork...)."""

    kind = "conflict"


class KeyAccessError(IkrarError):
    """A private key cannot be used: wrong passphrase, unsafe file mode, missing key."""

    kind = "key"


class StorageError(IkrarError):
    """Reading or writing the workspace or a file failed (permissions, disk full, locked)."""

    kind = "storage"


class TrustError(IkrarError):
    """A trust bundle or authority cannot be trusted (bad signature, not pinned, old serial)."""

    kind = "trust"


class VerificationError(IkrarError):
    """Something that was checked is not valid (receipt, ledger, proof). ``code`` names why."""

    kind = "invalid"


def is_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` is one of sqlite3's errors (so the CLI's error map need not import sqlite3)."""
    import sqlite3

    return isinstance(exc, sqlite3.Error)
