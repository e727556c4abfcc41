"""Database addresses for ``ikrar init --database`` and ``ikrar db migrate-to``.

A password typed into an address never reaches ikrar.yaml, a message or a log: the address is
stored without it, and the password goes to ``database.pass`` (0600) in the workspace folder,
read again when the store connects (it is handed to the driver, never to a child's
environment or argv). PGPASSWORD and ~/.pgpass work as for any PostgreSQL client.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from ..errors import InputError
from ..fsutil import atomic_write_text
from ..i18n import _
from . import dialects


def split_password(url: str) -> tuple[str, str | None]:
    """(address without password, password or None)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError as exc:
        raise InputError(
            _("{url} is not a database address", url=dialects.redact_url(url)),
            _("write it as postgresql://USER@HOST:5432/DBNAME"),
        ) from exc
    if password is None:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), unquote(password)


def check_database_url(url: str) -> str:
    """The address to store (without its password); refuses anything but postgresql://."""
    if dialects.engine_of(url) != dialects.POSTGRESQL:
        raise InputError(
            _("{url} is not a PostgreSQL address", url=dialects.redact_url(url)),
            _("write it as postgresql://USER@HOST:5432/DBNAME, or leave it out for SQLite"),
        )
    bare, _password = split_password(url)
    return bare


def save_password(path: Path, url: str) -> None:
    """Keep the password of ``url`` (if it has one) in ``path``, readable by the owner only."""
    _bare, password = split_password(url)
    if password is not None:
        atomic_write_text(path, password + "\n", mode=0o600)
