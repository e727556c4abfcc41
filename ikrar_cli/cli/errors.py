"""The one place that maps error kinds to exit codes and prints them.

Exit codes (documented in README.md, "Exit codes"):

==== ===========================================================================
code meaning
==== ===========================================================================
0    success; every receipt or ledger checked is valid
1    verification failed: a receipt, proof or ledger is INVALID
2    usage error: unknown option, missing argument, bad option value
3    bad input: a file or value could not be read as what it should be
4    not found: workspace, pledge, officer, session or key does not exist
5    conflict: the request contradicts stored state (exists, closed, fork ...)
6    key error: wrong or weak passphrase, unsafe key file permissions, missing or revoked key
7    storage error: cannot read/write the workspace or a file (locked, full ...)
8    trust error: a trust bundle or authority is not trusted (or older than the trusted one)
70   internal error (a bug: please report it with IKRAR_DEBUG=1 output)
130  interrupted (Ctrl-C); nothing half-written was kept
==== ===========================================================================
"""

from __future__ import annotations

import json
import os
import sys

import click

from .. import errors as E
from ..i18n import _

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_NOT_FOUND = 4
EXIT_CONFLICT = 5
EXIT_KEY = 6
EXIT_STORAGE = 7
EXIT_TRUST = 8
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[type[E.IkrarError], int] = {
    E.VerificationError: EXIT_INVALID,
    E.UsageError: EXIT_USAGE,
    E.InputError: EXIT_INPUT,
    E.NotFoundError: EXIT_NOT_FOUND,
    E.ConflictError: EXIT_CONFLICT,
    E.KeyAccessError: EXIT_KEY,
    E.StorageError: EXIT_STORAGE,
    E.TrustError: EXIT_TRUST,
}


def exit_code_for(exc: E.IkrarError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return EXIT_INPUT


def _emit(err: dict[str, object], line: str, code: int, as_json: bool) -> None:
    if as_json:
        err = dict(err, exit_code=code)
        click.echo(json.dumps({"error": err}, ensure_ascii=False))
    click.echo(f"ikrar: {line}", err=True)


def report(exc: BaseException, as_json: bool) -> int:
    """Print one line for ``exc`` and return the exit code to use."""
    if isinstance(exc, E.IkrarError):
        code = exit_code_for(exc)
        _emit(exc.to_dict(), exc.diagnostics(), code, as_json)
        return code
    if isinstance(exc, KeyboardInterrupt | click.exceptions.Abort):
        msg = _("Interrupted; nothing half-written was kept")
        _emit({"kind": "interrupted", "message": msg}, msg, EXIT_INTERRUPTED, as_json)
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):  # e.g. `ikrar ... | head`: the reader left; not an error
        return EXIT_OK
    if E.is_database_error(exc):
        msg = _("Database error: {reason}", reason=exc)
        hint = _("check the workspace folder (permissions, free space) and try again")
        _emit({"kind": "storage", "message": msg, "hint": hint}, f"{msg} — {hint}", EXIT_STORAGE, as_json)
        return EXIT_STORAGE
    if isinstance(exc, OSError):
        where = exc.filename or ""
        msg = _("Cannot access {path}: {reason}", path=where, reason=exc.strerror or exc)
        hint = _("check the path, its permissions and free space")
        _emit({"kind": "storage", "message": msg, "hint": hint}, f"{msg} — {hint}", EXIT_STORAGE, as_json)
        return EXIT_STORAGE
    if os.environ.get("IKRAR_DEBUG"):
        raise exc
    msg = _("Internal error: {name}: {reason}", name=type(exc).__name__, reason=exc)
    hint = _("this is a bug; run again with IKRAR_DEBUG=1 and report the output")
    _emit({"kind": "internal", "message": msg, "hint": hint}, f"{msg} — {hint}", EXIT_INTERNAL, as_json)
    return EXIT_INTERNAL


def fail(exc: BaseException, as_json: bool = False) -> None:
    """Report ``exc`` and exit with its code (used by the root group)."""
    code = report(exc, as_json)
    sys.exit(code)


def usage_line(exc: click.exceptions.UsageError) -> tuple[str, str]:
    """A click parsing error as one translated line: (message, hint)."""
    ex = click.exceptions
    ctx = exc.ctx
    command = ctx.command_path.replace("cli ", "ikrar ", 1) if ctx else "ikrar"
    if command == "cli":
        command = "ikrar"
    hint = _("see '{command} --help'", command=command)

    def pname(param: click.Parameter | None) -> str:
        if param is None:
            return "?"
        if isinstance(param, click.Option):
            return "/".join(param.opts)
        return (param.human_readable_name or "?").upper()

    if isinstance(exc, ex.MissingParameter):
        if isinstance(exc.param, click.Option):
            return _("Option {name} is required", name=pname(exc.param)), hint
        return _("Argument {name} is missing", name=pname(exc.param)), hint
    if isinstance(exc, ex.NoSuchOption):
        msg = _("No such option {name}", name=exc.option_name)
        if exc.possibilities:
            msg += " — " + _("did you mean {names}?", names=", ".join(sorted(exc.possibilities)))
        return msg, hint
    if isinstance(exc, ex.NoSuchCommand):
        import difflib

        msg = _("No such command {name}", name=exc.command_name)
        known = exc.ctx.command.list_commands(exc.ctx) if exc.ctx and isinstance(exc.ctx.command, click.Group) else []
        close = difflib.get_close_matches(exc.command_name, known)
        if close:
            msg += " — " + _("did you mean {names}?", names=", ".join(close))
        return msg, hint
    if isinstance(exc, ex.BadOptionUsage):
        return _("Option {name} needs a value", name=exc.option_name), hint
    if isinstance(exc, ex.BadParameter):
        param = exc.param
        if param is not None and isinstance(param.type, click.Choice):
            choices = ", ".join(str(c) for c in param.type.choices)
            return _("Invalid value for {name}: choose one of {choices}", name=pname(param), choices=choices), hint
        if param is not None and isinstance(param.type, click.Path):
            if not param.type.dir_okay:
                return _("{name} needs a file, not a folder", name=pname(param)), hint
            if not param.type.file_okay:
                return _("{name} needs a folder, not a file", name=pname(param)), hint
        if param is not None and isinstance(param.type, click.types.IntParamType):
            return _("Invalid value for {name}: a whole number is needed", name=pname(param)), hint
        return _("Invalid value for {name}: {reason}", name=pname(param), reason=exc.message), hint
    return _("Usage error: {reason}", reason=exc.message), hint


class OneLineUsageError(click.exceptions.UsageError):
    """Shows a parsing error as the one ``ikrar: what — try`` line every other error uses."""

    exit_code = EXIT_USAGE

    def __init__(self, original: click.exceptions.UsageError, as_json: bool = False):
        super().__init__(original.message, original.ctx)
        self.original = original
        self.as_json = as_json

    def show(self, file: object = None) -> None:
        msg, hint = usage_line(self.original)
        _emit(
            {"kind": "usage", "code": None, "message": msg, "hint": hint}, f"{msg} — {hint}", EXIT_USAGE, self.as_json
        )
