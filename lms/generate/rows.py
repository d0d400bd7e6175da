"""What every part of the generator shares while it makes rows: one random source, today, the next
id of each table, the buffers of rows waiting for the writer, and dates and times as the text the
writer sends.

One `random.Random(seed)` serves the people, their training and their requests alike, consumed in
a fixed order: that is what makes the same seed on the same day give the same trust.
"""

from __future__ import annotations

import random
from datetime import date

from lms.generate.writer import TABLES

DAY = 86_400


class Rows:
    def __init__(self, seed: int, today: date, first_ids: dict[str, int]) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets  # nosec B311
        self.T = today.toordinal()
        self.next_id = dict(first_ids)
        self.buf: dict[str, list[tuple]] = {t: [] for t in TABLES}
        # Every second of a day as text, so the hottest loop (one pass per answer) only concatenates.
        self.hms = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}.000000" for s in range(DAY)]
        self._days: dict[int, str] = {}

    def id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def day(self, d: int) -> str:
        """A day ordinal as the ISO date text; cached, because few days recur across millions of rows."""
        text = self._days.get(d)
        if text is None:
            text = self._days[d] = date.fromordinal(d).isoformat()
        return text

    def ts(self, t: int) -> str:
        """A moment (seconds since day 0 of the ordinal calendar) as timestamp text."""
        return f"{self.day(t // DAY)} {self.hms[t % DAY]}"
