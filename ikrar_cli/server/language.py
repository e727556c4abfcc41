"""The language of an answer: the request's ``Accept-Language`` (RFC 9110 §12.5.4), Bahasa Indonesia
when it names neither of ikrar's languages (docs/server.md, "Errors and languages")."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..i18n import DEFAULT_LANGUAGE, normalise_language, speaking

T = TypeVar("T")
MAX_HEADER = 4096  # a longer header is not read past this (bounded work per request)


def choose_language(header: str | None) -> str:
    """The supported language with the highest weight (the first listed among equals); ``q=0``
    refuses a language; ``*`` and unknown tags are ignored; a malformed weight counts as 0."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (header or "")[:MAX_HEADER].split(","):
        tag, *params = (p.strip() for p in part.split(";"))
        lang = normalise_language(tag) if tag and tag != "*" else None
        if lang is None:
            continue
        q = 1.0
        for p in params:
            name, _sep, value = p.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:  # nan and out-of-range weights included
                    q = 0.0
        if q > best_q:
            best, best_q = lang, q
    return best


def in_language(lang: str, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` with every message it makes in ``lang`` (for the worker thread of one request)."""
    with speaking(lang):
        return fn(*args)
