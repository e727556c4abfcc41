"""The kiosk's lookups (``ikrar recite``): who is at the desk, did they already pledge, and
how far the session is. The screens live in ``cli/recitation/recite.py``; the decisions live here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConflictError, NotFoundError
from ..i18n import _

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .attest import Attestation, Recorder, Session

__all__ = ["Identified", "identify", "open_session_for_kiosk", "session_progress"]


@dataclass(frozen=True)
class Identified:
    """The officer behind a typed or scanned identifier, from one read snapshot.

    ``not_listed`` is the roster's "not found" when the kiosk may record unlisted officers
    (then ``unlisted`` is true and the attestation must be recorded with ``allow_unlisted``).
    """

    officer_id: str
    id_type: str
    name: str | None
    unit_code: str | None
    position: str | None
    unlisted: bool
    existing: Attestation | None
    not_listed: NotFoundError | None = None


def identify(recorder: Recorder, session: Session, raw: str, *, allow_unlisted: bool) -> Identified:
    """Resolve ``raw`` on the roster and find the officer's receipt for the session's pledge.

    Raises ``NotFoundError`` (not on the roster, unless ``allow_unlisted``), ``ConflictError``
    (inactive) or ``InputError`` (not an identifier).
    """
    from ..roster.importer import find_officer

    with recorder.workspace.store.read() as conn:
        try:
            officer_id, id_type, name, unit, unlisted = recorder.resolve(conn, raw)
        except NotFoundError as exc:
            if not allow_unlisted:
                raise
            officer_id, id_type, name, unit, unlisted = recorder.resolve(conn, raw, allow_unlisted=True)
            return Identified(officer_id, id_type, name, unit, None, unlisted, None, not_listed=exc)
        found = recorder.existing(conn, officer_id, session)
        officer = find_officer(conn, officer_id)
    position = officer.position if officer is not None else None
    return Identified(officer_id, id_type, name, unit, position, unlisted, found)


def session_progress(recorder: Recorder, session: Session) -> tuple[int, int]:
    """(officers who pledged in this session, active officers of its unit or of all units)."""
    from .attest import session_counts

    with recorder.workspace.store.read() as conn:
        return session_counts(conn, session)


def open_session_for_kiosk(ws: Workspace, session_id: int) -> Session:
    """The session the kiosk records into; a closed one is refused before the key is unlocked."""
    from .attest import get_session

    with ws.store.read() as conn:
        session = get_session(conn, session_id)
    if not session.is_open:
        raise ConflictError(
            _("Session {id} is closed", id=session_id), _("open a new session with 'ikrar session open'")
        )
    return session
