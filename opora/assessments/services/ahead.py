"""A batch's recompute computed beside the write of its last large insert.

At the end of a `school_indicators_deferred()` block the indicators of the assessments its jobs wrote are
recomputed from the rows they wrote (`pupil_frames`), after their transactions. When one insert is large
(a ZIP of a whole region is one job of 100,000 rows or more) the database's work on it leaves a CPU idle:
SQLite's steps and PostgreSQL's server run without Python's lock, and the indicator computation is mostly
Polars, which runs without it too. So an insert of `AHEAD_ROWS` rows or more, when the rows the batch has
written with it are all the database will hold of their assessments, has the recompute computed in a
thread while it writes. Inside a batch the computation is published with the job's rows when its
transaction commits, and withdrawn by the next insert (a job rolled back never publishes one: a replacement
rolled back can leave as many rows as it computed from, but not the same); outside a batch the caller hands
it to the recompute that follows in the same transaction. The result is taken only if the assessments to
recompute are the ones it computed and the database holds for each of their school assessments exactly as
many rows as it computed from. Otherwise the recompute runs as always, and the thread's work is lost. As
with the rows the batch keeps (`pupil_frames.pupil_rows`), rows changed outside the importers' writer to
the same count would not be seen; no import does that.

The thread reads no database: everything it needs is read before it starts, in the writer's transaction.
"""

import logging
import threading
from collections.abc import Iterable
from typing import Any

from opora.assessments.models import Assessment, SchoolAssessment
from opora.assessments.services.indicator_rows import indicator_rows
from opora.assessments.services.pupil_frames import (
    READ_BATCH,
    as_read,
    assessments_of,
    frames_build,
    pupil_counts,
    school_areas,
    task_rows,
)

logger = logging.getLogger(__name__)

#: The least rows of one insert whose write hides the recompute (a 2,000-file ZIP of ВПР: 120,000).
AHEAD_ROWS = 20_000


class Ahead:
    """The indicator rows (INDICATOR_COLUMNS but computed_at) of `assessment_ids`, computed in a thread of
    its own from `counts` rows per school assessment."""

    def __init__(
        self,
        assessments: dict[int, Assessment],
        keys: dict[int, tuple[int, int]],
        by_sa: dict[int, list[tuple[Any, ...]]],
        tasks: list[tuple[Any, ...]],
        schools: list[tuple[int, int, int]],
    ) -> None:
        self.assessment_ids = frozenset(assessments)
        self.counts = {sa: len(rows) for sa, rows in by_sa.items()}
        self._rows: list[tuple[Any, ...]] | None = None
        self._thread = threading.Thread(
            target=self._compute,
            args=(assessments, keys, by_sa, tasks, schools),
            name="opora-recompute-ahead",
            daemon=True,
        )
        self._thread.start()

    def rows_if_current(self, assessment_ids: Iterable[int]) -> list[tuple[Any, ...]] | None:
        """The rows, when they stand for the database as it is: the same assessments, and for each of their
        school assessments as many pupil rows as were computed from. None otherwise, or if the
        computation failed."""
        ids = sorted(set(assessment_ids))
        if frozenset(ids) != self.assessment_ids:
            return None
        held = {sa: count for sa, (_, _, count) in pupil_counts(ids).items()}
        if held != self.counts:
            return None
        self._thread.join()
        return self._rows

    def _compute(
        self,
        assessments: dict[int, Assessment],
        keys: dict[int, tuple[int, int]],
        by_sa: dict[int, list[tuple[Any, ...]]],
        tasks: list[tuple[Any, ...]],
        schools: list[tuple[int, int, int]],
    ) -> None:
        try:
            read = [as_read(*keys[sa], row) for sa, rows in by_sa.items() for row in rows]
            self._rows = indicator_rows(*frames_build(assessments, read, tasks), schools)
        except Exception:  # the block's end recomputes as always; nothing is lost but time
            logger.exception("The recompute computed beside the write failed; it runs again after it")


def ahead_start(written: dict[int, list[tuple[Any, ...]]], rows: list[tuple[Any, ...]]) -> Ahead | None:
    """Start computing the indicators of the assessments of `rows` (`PUPIL_RESULT_COLUMNS` tuples about to
    be written) from them and the block's `written` rows, if those are all the database will hold of the
    assessments; None when it would not be, or `rows` are too few to hide the work."""
    if len(rows) < AHEAD_ROWS:
        return None
    by_sa: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_sa.setdefault(row[0], []).append(row)
    keys = _keys(list(by_sa))  # school assessment → (assessment, school)
    ids = sorted({assessment for assessment, _ in keys.values()})
    held = pupil_counts(ids)  # before the insert: what the batch wrote before, and what it did not
    if any(sa not in written or len(written[sa]) != count for sa, (_, _, count) in held.items()):
        return None  # rows the batch did not write: the recompute must read them
    for sa, (assessment, school, _) in held.items():
        if sa in by_sa:  # rows added to a school assessment that holds rows: left to the database
            return None
        keys[sa] = (assessment, school)
        by_sa[sa] = list(written[sa])  # a copy: the block's ledger grows while the thread reads
    assessments = assessments_of(ids)
    schools = school_areas({school for _, school in keys.values()})
    return Ahead(assessments, keys, by_sa, task_rows(assessments), schools)


def _keys(school_assessments: list[int]) -> dict[int, tuple[int, int]]:
    found: dict[int, tuple[int, int]] = {}
    for start in range(0, len(school_assessments), READ_BATCH):
        batch = school_assessments[start : start + READ_BATCH]
        found.update(
            (pk, (assessment, school))
            for pk, assessment, school in SchoolAssessment.objects.filter(pk__in=batch).values_list(
                "pk", "assessment_id", "school_id"
            )
        )
    return found
