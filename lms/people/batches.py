"""Working through a staff file's many rows: IN lists of a bounded size, and progress for the CLI bar."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

Progress = Callable[[int], None]  # called with how many more rows are done
PROGRESS_EVERY = 1000
CHUNK = 500  # ids per IN (...) list: well below every backend's limit on bound parameters
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def counted(items: Iterable[T], progress: Progress | None) -> Iterator[T]:
    """`items`, telling `progress` every PROGRESS_EVERY of them and the rest at the end (a call per row is slow)."""
    if progress is None:
        yield from items
        return
    done = 0
    for done, item in enumerate(items, start=1):
        if done % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        yield item
    progress(done % PROGRESS_EVERY)
