"""Fixtures of the assessments' tests."""

import pytest

from opora.assessments.models import Assessment, Procedure, Subject, Task


@pytest.fixture
def assessment(db):
    assessment = Assessment.objects.create(
        procedure=Procedure.objects.get(code="ВПР"),
        year=2025,
        subject=Subject.objects.get(code="math"),
        grade=5,
        max_primary_score=5,
    )
    for position, (label, max_score, level) in enumerate([("1", 1, "Б"), ("2", 2, "Б"), ("3", 2, "П")], 1):
        Task.objects.create(
            assessment=assessment, position=position, label=label, max_score=max_score, level=level
        )
    return assessment
