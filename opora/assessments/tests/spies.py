"""Spies on the assessments' services, shared by the tests of the apps that write results."""

import pytest

from opora.assessments.services import ahead


def ahead_taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every insert large enough to have the recompute computed beside it; returns the list that gets, for
    each recompute that had such a computation, whether it was taken."""
    monkeypatch.setattr(ahead, "AHEAD_ROWS", 1)
    seen: list[bool] = []
    real = ahead.Ahead.rows_if_current

    def spied(self: ahead.Ahead, assessment_ids: object) -> object:
        rows = real(self, assessment_ids)  # type: ignore[arg-type]
        seen.append(rows is not None)
        return rows

    monkeypatch.setattr(ahead.Ahead, "rows_if_current", spied)
    return seen
