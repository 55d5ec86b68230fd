"""The stored school indicators of pupil-level results, recomputed for whole assessments: now, or once at the
end of a batch of imports from the rows the batch wrote (`pupil_frames`), or computed beside the write of a
large batch (`ahead`)."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from opora.assessments.models import PupilResult, SchoolIndicator
from opora.assessments.services.ahead import Ahead, ahead_start
from opora.assessments.services.indicator_rows import INDICATOR_COLUMNS, indicator_rows
from opora.assessments.services.pupil_frames import assessments_of, pupil_frames, school_areas
from opora.assessments.services.rows import PUPIL_RESULT_COLUMNS, rows_insert
from opora.core.collection import with_gc_paused


def pupil_results_insert(rows: list[tuple[Any, ...]]) -> Ahead | None:
    """Write pupil rows (`PUPIL_RESULT_COLUMNS` order) in the caller's transaction (`rows_insert`), and
    keep them for the recompute at the end of an enclosing `school_indicators_deferred()` block.

    A large insert starts computing that recompute beside its write (`ahead`). Inside a block the
    computation is kept with the rows, once the job's transaction commits; outside one it is returned, for
    the caller to give to the `school_indicators_stale` that follows in the same transaction (None when
    none was started)."""
    written = _written.get()
    if written is None:
        alone = ahead_start({}, rows) if len(rows) <= WRITTEN_LIMIT else None
        rows_insert(PupilResult, PUPIL_RESULT_COLUMNS, rows)
        return alone
    # An earlier job's computation stands no longer once these rows are written, whether they commit or not.
    written.ahead = None
    ahead = ahead_start(written.rows, rows) if written.keeps(len(rows)) else None
    rows_insert(PupilResult, PUPIL_RESULT_COLUMNS, rows)
    # Kept once the job's transaction commits: rows rolled back must never stand for the database's, nor a
    # computation from them (a rolled-back replacement can leave as many rows as it computed from).
    transaction.on_commit(lambda: written.add(rows, ahead))
    return None


# Inside school_indicators_deferred(): the assessments whose indicators the commits made stale, and the
# pupil rows the block wrote by school assessment (`PUPIL_RESULT_COLUMNS` tuples), so that the recompute
# at its end reads back from the database only the rows it did not write itself.
_deferred: ContextVar[set[int] | None] = ContextVar("school_indicators_deferred", default=None)
_written: ContextVar["_Written | None"] = ContextVar("school_indicators_written", default=None)

#: Pupil rows a batch keeps for its recompute; past this many it keeps none (the recompute reads them all
#: back, with the same result), so that a folder of a whole region does not hold every row in memory.
WRITTEN_LIMIT = 500_000


@dataclass
class _Written:
    """The committed pupil rows of a `school_indicators_deferred()` block, by school assessment."""

    rows: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    count: int = 0
    ahead: Ahead | None = None  # the recompute computed beside the last committed insert, if it was

    def keeps(self, more: int) -> bool:
        """Whether `more` rows would still be kept."""
        return self.count + more <= WRITTEN_LIMIT

    def add(self, rows: list[tuple[Any, ...]], ahead: Ahead | None = None) -> None:
        self.ahead = ahead
        self.count += len(rows)
        if self.count > WRITTEN_LIMIT:
            self.rows.clear()
            return
        for row in rows:
            self.rows.setdefault(row[0], []).append(row)


@contextmanager
def school_indicators_deferred() -> Iterator[set[int]]:
    """Commits inside the block leave the pupil-level indicators to its end, which recomputes each
    assessment once.

    For a run of many jobs (a CLI over a folder): recomputing whole assessments after every file costs
    O(files²). The recompute runs even when the block fails, for the jobs already committed; between a
    commit and the end of the block the stored indicators of its assessments lag behind its results.
    """
    outer = _deferred.get()
    if outer is not None:  # nested: the outer block recomputes
        yield outer
        return
    stale: set[int] = set()
    written = _Written()
    token, written_token = _deferred.set(stale), _written.set(written)
    try:
        yield stale
    finally:
        _deferred.reset(token)
        _written.reset(written_token)
        if stale:
            school_indicators_recompute(
                assessment_ids=sorted(stale), written=written.rows, ahead=written.ahead
            )


def school_indicators_stale(*, assessment_ids: Iterable[int], ahead: Ahead | None = None) -> None:
    """The pupil results of these assessments changed: recompute their indicators now (in the caller's
    transaction; `ahead`: what `pupil_results_insert` returned for the rows just written), or at the end of
    the enclosing `school_indicators_deferred()` block."""
    deferred = _deferred.get()
    if deferred is not None:
        deferred.update(assessment_ids)
    else:
        school_indicators_recompute(assessment_ids=assessment_ids, ahead=ahead)


@with_gc_paused
def school_indicators_recompute(
    *,
    assessment_ids: Iterable[int],
    written: dict[int, list[tuple[Any, ...]]] | None = None,
    ahead: Ahead | None = None,
) -> int:
    """Recompute and store the indicators of every school in these assessments; returns the rows written.

    Whole assessments are recomputed because a school's task completion is compared with its
    municipality and region, which every school of the assessment changes. `written`: the pupil rows the
    caller wrote, not read back (`pupil_rows`); `ahead`: the indicators computed beside their write, taken
    if they still stand for the database.
    """
    assessments = assessments_of(assessment_ids)
    if not assessments:
        return 0
    computed = ahead.rows_if_current(assessments) if ahead is not None else None
    if computed is None:
        pupils, task_scores = pupil_frames(assessments, written)
        computed = indicator_rows(pupils, task_scores, school_areas(pupils["school"].unique().to_list()))
    computed_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        SchoolIndicator.objects.filter(
            assessment_id__in=assessments, source=SchoolIndicator.Source.PUPILS
        ).delete()
        # As bulk_create would write them (JSON as json.dumps' text), without its per-object cost: on
        # PostgreSQL, 2,000 rows through bulk_create took longer than the 120,000 pupil rows through COPY.
        rows_insert(SchoolIndicator, INDICATOR_COLUMNS, [(*row, computed_at) for row in computed])
    return len(computed)
