"""The score distribution: the latest score of each required module, in 10-point bands.

One GROUP BY statement over module_progress (or the kept score counts), limited to the scope and
filters: the rows returned are the bands, never people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.dashboards import kept_counts, kept_reads
from lms.dashboards.periods import day_bounds
from lms.dashboards.required import required_rows
from lms.dashboards.scope import Filters, Scope
from lms.models import ModuleProgress
from lms.records.settings import RecordSettings

SCORE_BANDS = kept_counts.SCORE_BANDS  # 0–9 … 90–100: the bands the scores are kept in


@dataclass(frozen=True)
class BandRow:
    low: int
    high: int
    results: int  # (person, module) latest scores in this band

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}%"


def score_distribution(session: Session, scope: Scope, filters: Filters, start: date, end: date, today: date,
                       settings: RecordSettings) -> list[BandRow]:
    """The latest score of each required (person, module) submitted in [start, end], in 10-point bands.

    Every band is returned, with 0 where nobody scored in it. A score is a percentage (0–100);
    90 to 100 share the last band. Views of whole units read the kept counts (refreshed first).
    """
    if kept_reads.covers(scope):
        kept_counts.refresh(session, today, settings)
        counts = kept_reads.latest_scores(session, scope, filters, start, end)
    else:
        counts = scores_from_records(session, scope, filters, start, end)
    return [BandRow(low, high, counts.get(low, 0)) for low, high in SCORE_BANDS]


def scores_from_records(session: Session, scope: Scope, filters: Filters, start: date, end: date) -> dict[int, int]:
    """Band -> latest results in [start, end], counted from every record in the view (the kept counts' reference)."""
    since, until = day_bounds(start, end)
    band = kept_counts.band_of(ModuleProgress.last_score).label("band")
    score = ModuleProgress.last_score
    banded = (required_rows(scope, filters)
              .add_columns(band)
              .where(score.is_not(None), ModuleProgress.last_submitted_at >= since,
                     ModuleProgress.last_submitted_at < until)
              .subquery())
    query = select(banded.c.band, func.count().label("results")).group_by(banded.c.band)
    return {int(b): n for b, n in session.execute(query)}
