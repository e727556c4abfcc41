"""The batch sizes of a batched merge follow the write-lock holds (ikrar_cli/ledger/batch_sizer.py,
batched_swap.ranges; docs/ledger-export.md, "One large file: batches, published at once").

Nothing is timed: a simulated machine copies rows at a cost per row that the test sets (a load
spike, a recovery), on a clock that only it advances, and the loop is the one ``batched_swap``
runs (``ranges`` asking the sizer, the hold measured on the clock around the copy)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ikrar_cli.ledger.batch_sizer import GROWTH, LEAST_ROWS, TARGET_S, BatchSizer
from ikrar_cli.ledger.batched_swap import ranges


class Machine:
    """A clock and a copy whose hold is rows x the current cost per row."""

    def __init__(self, cost: float) -> None:
        self.now = 0.0
        self.cost = cost

    def clock(self) -> float:
        return self.now

    def copy(self, rows: int) -> None:
        self.now += rows * self.cost


def run(machine: Machine, sizer: BatchSizer, lo: int, end: int, costs: dict[int, float] | None = None,
        ) -> list[tuple[int, float]]:  # fmt: skip
    """(rows, hold) of each batch, as batched_swap._batched measures them; ``costs``: batch number ->
    a new cost per row from that batch on."""
    out = []
    for n, (a, b) in enumerate(ranges(lo, end, sizer)):
        if costs and n in costs:
            machine.cost = costs[n]
        got = machine.clock()
        machine.copy(b - a)
        held = machine.clock() - got
        sizer.took(b - a, held)
        out.append((b - a, held))
    return out


def test_a_load_spike_costs_one_long_hold_then_every_hold_is_back_near_the_target() -> None:
    machine = Machine(cost=40e-6)  # 40 us per row: 20,000 rows in 0.8 s
    batches = run(machine, BatchSizer(20_000), 0, 400_000, costs={12: 2.5e-3})  # from the 13th: 2.5 ms per row
    before, spike, after = batches[:12], batches[12], batches[13:]
    assert before[0][0] == 2_000  # a tenth of the row bound first
    assert max(h for _r, h in before) <= TARGET_S
    assert spike[1] > 2 * TARGET_S  # the batch that met the spike (its size was set before it)
    assert after and all(h <= TARGET_S + 1e-9 for _r, h in after)
    assert after[0][0] == int(spike[0] * TARGET_S / spike[1])  # shrunk at once to what fits


def test_growth_is_slow_and_stops_at_the_row_bound() -> None:
    machine = Machine(cost=1e-6)  # very fast: every hold well under the target
    batches = run(machine, BatchSizer(20_000), 0, 300_000)
    sizes = [r for r, _h in batches]
    for a, b in zip(sizes, sizes[1:-1], strict=False):  # the last batch is what is left
        assert a <= b <= max(a + 1, int(a * GROWTH))
    assert max(sizes) == 20_000


def test_a_batch_between_half_and_the_whole_target_keeps_the_size() -> None:
    sizer = BatchSizer(20_000)
    sizer.took(2_000, 0.75 * TARGET_S)
    assert sizer.next() == 2_000


def test_a_very_slow_machine_still_copies_the_least_rows_per_batch() -> None:
    machine = Machine(cost=1.0)  # a second per row
    batches = run(machine, BatchSizer(20_000), 0, 5_000)
    assert [r for r, _h in batches[1:]] == [LEAST_ROWS] * (len(batches) - 2) + [batches[-1][0]]
    assert sum(r for r, _h in batches) == 5_000


def test_a_short_last_batch_does_not_make_the_next_log_start_larger() -> None:
    sizer = BatchSizer(20_000)
    sizer.took(10, 0.001)  # the end of a log: 10 rows, fast
    assert sizer.next() == 2_000


def test_the_row_bound_holds_however_fast_and_small_bounds_stay_exact() -> None:
    sizer = BatchSizer(25)  # the tests' IKRAR_MERGE_BATCH: every batch 25 rows, whatever the holds
    assert sizer.next() == 25
    sizer.took(25, 100.0)
    assert sizer.next() == 25
    sizer.took(25, 0.0)
    assert sizer.next() == 25


@given(lo=st.integers(0, 5_000), length=st.integers(0, 50_000), most=st.integers(1, 30_000),
       costs=st.lists(st.floats(0.0, 0.01), min_size=1, max_size=20))  # fmt: skip
def test_the_ranges_cover_the_log_once_in_order_and_never_exceed_the_bound(
    lo: int, length: int, most: int, costs: list[float]
) -> None:
    machine = Machine(cost=costs[0])
    sizer = BatchSizer(most)
    seen = []
    for n, (a, b) in enumerate(ranges(lo, lo + length, sizer)):
        machine.cost = costs[n % len(costs)]
        got = machine.clock()
        machine.copy(b - a)
        sizer.took(b - a, machine.clock() - got)
        seen.append((a, b))
    assert [a for a, _b in seen] == ([lo] + [b for _a, b in seen[:-1]] if seen else [])
    assert (seen[-1][1] if seen else lo) == lo + length
    assert all(0 < b - a <= most for a, b in seen)
