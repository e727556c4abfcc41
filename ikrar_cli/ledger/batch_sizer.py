"""How many rows the next batch of a batched merge copies (issue 20; docs/ledger-export.md, "One
large file: batches, published at once").

A batch bounded in rows only is not bounded in time: niced at load 19, one batch of 20,000 rows
held the write lock 48.7 s (bench/README.md). So the size follows the measured holds: a batch that
held the lock longer than :data:`TARGET_S` makes the next one as large as the rows it copied per
second allow in that target (never below :data:`LEAST_ROWS`); one that held it less than half the
target lets the next grow by a quarter (never beyond the row bound ``most``). The first batch is a
tenth of ``most``. Pure arithmetic on the holds it is told about: the caller measures them
(``batched_swap.py``), the tests give them.
"""

from __future__ import annotations

TARGET_S = 1.0  # seconds a batch should hold the write lock
LEAST_ROWS = 200  # the smallest batch (a slower machine still makes progress)
GROWTH = 1.25  # a batch well under the target: the next may be this much larger


class BatchSizer:
    """The size of each next batch, from the rows and seconds of the batches before."""

    def __init__(self, most: int, *, target_s: float = TARGET_S, least: int = LEAST_ROWS) -> None:
        self.most = max(1, most)
        self.least = max(1, min(least, self.most))
        self.target_s = target_s
        self.size = max(self.least, self.most // 10)

    def next(self) -> int:
        """Rows for the next batch."""
        return self.size

    def took(self, rows: int, seconds: float) -> None:
        """A batch of ``rows`` rows held the write lock ``seconds`` (from getting it to its commit)."""
        if rows <= 0:
            return
        if seconds > self.target_s:
            fits = int(rows * self.target_s / seconds)
            self.size = max(self.least, min(self.size, fits))
        elif seconds < self.target_s / 2 and rows >= self.size:  # a whole batch, well under: grow
            self.size = min(self.most, max(self.size + 1, int(self.size * GROWTH)))
