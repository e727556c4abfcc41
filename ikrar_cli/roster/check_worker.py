"""A helper process of ``roster/check_pool``: checks chunks of roster rows for its parent.

Reads from stdin (pickles written by the parent that started it, over its own pipe) first the
language and the ``RowChecker``, then chunks of (row number, cells); writes each chunk's outcomes
to stdout; ends when stdin closes. It opens no file and no database and holds no secret.
"""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    from ..i18n import set_language

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    try:
        language, checker = pickle.load(stdin)  # noqa: S301 - from the parent, over its own pipe
    except EOFError:
        return
    set_language(language)
    while True:
        try:
            part = pickle.load(stdin)  # noqa: S301
        except EOFError:
            return
        pickle.dump(checker.check_rows(part), stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


if __name__ == "__main__":
    main()
