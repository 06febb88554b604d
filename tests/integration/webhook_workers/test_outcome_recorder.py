"""Group commit of attempt outcomes: attempts finishing together share one write, and one
that cannot be written never takes the others down with it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from paygate_adapters.webhooks.recorder import OutcomeRecorder


class Journal:
    """A batch writer that keeps what it wrote, refuses items named ``bad`` and can be held
    closed (like a database write lock another process holds)."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()

    def write(self, items: Sequence[str]) -> list[BaseException | None]:
        assert self.gate.wait(5)
        self.batches.append(list(items))
        return [ValueError(item) if item == "bad" else None for item in items]


def test_outcomes_finishing_while_a_write_runs_share_the_next_write() -> None:
    journal = Journal()

    async def scenario() -> None:
        recorder = OutcomeRecorder(journal.write)
        journal.gate.clear()  # the first write is held up ...
        first = asyncio.create_task(recorder.record("a"))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(recorder.record(name)) for name in "bcd"]
        await asyncio.sleep(0.05)
        journal.gate.set()  # ... and everything that finished meanwhile follows at once
        await asyncio.gather(first, *rest)

    asyncio.run(scenario())

    assert journal.batches == [["a"], ["b", "c", "d"]]


def test_an_outcome_that_cannot_be_written_fails_alone() -> None:
    journal = Journal()

    async def scenario() -> list[BaseException | None]:
        recorder = OutcomeRecorder(journal.write)
        results = await asyncio.gather(*(recorder.record(name) for name in ["a", "bad", "c"]),
                                       return_exceptions=True)
        return list(results)

    results = asyncio.run(scenario())

    assert results[0] is None
    assert isinstance(results[1], ValueError)
    assert results[2] is None


def test_batches_are_capped() -> None:
    journal = Journal()

    async def scenario() -> None:
        recorder = OutcomeRecorder(journal.write, max_batch=2)
        await asyncio.gather(*(recorder.record(str(n)) for n in range(5)))

    asyncio.run(scenario())

    assert [len(batch) for batch in journal.batches] == [2, 2, 1]


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        OutcomeRecorder(Journal().write, max_batch=0)
