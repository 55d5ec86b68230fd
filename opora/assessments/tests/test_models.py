from decimal import Decimal

import pytest
from django.db import IntegrityError

from opora.assessments.models import MarkScale, MinimumScore, Procedure, Subject


@pytest.fixture
def scale(db):
    # ВПР 2025, mathematics, grade 5, a 20-point work: 0-4 → «2», 5-9 → «3», 10-14 → «4», 15-20 → «5».
    return MarkScale.objects.create(
        procedure=Procedure.objects.get(code="ВПР"),
        year=2025,
        subject=Subject.objects.get(code="math"),
        grade=5,
        min_score_3=5,
        min_score_4=10,
        min_score_5=15,
    )


@pytest.mark.parametrize(
    ("score", "mark"), [(0, 2), (4, 2), (4.5, 2), (5, 3), (9, 3), (10, 4), (14.5, 4), (15, 5), (20, 5)]
)
def test_it_turns_a_primary_score_into_a_mark_at_the_boundaries(scale, score, mark):
    assert scale.mark_for(Decimal(str(score))) == mark


def test_it_refuses_a_scale_whose_boundaries_are_out_of_order(scale):
    with pytest.raises(IntegrityError):
        MarkScale.objects.create(
            procedure=scale.procedure,
            year=2024,
            subject=scale.subject,
            grade=5,
            min_score_3=10,
            min_score_4=5,
            min_score_5=15,
        )


def test_it_preloads_the_ege_minimums_of_recent_years(db):
    minimums = {
        m.subject.code: m.minimum
        for m in MinimumScore.objects.filter(procedure__code="ЕГЭ", year=2026).select_related("subject")
    }
    # shared/DOMAIN.md §4, 2026: Russian 24, profile mathematics 27, social studies 42, informatics 40,
    # physics/chemistry/biology 36, history and literature 32, foreign languages 22.
    assert minimums["rus"] == 24 and minimums["math_profile"] == 27 and minimums["soc"] == 42
    assert minimums["inf"] == 40 and minimums["phys"] == minimums["chem"] == minimums["bio"] == 36
    assert minimums["hist"] == minimums["lit"] == 32 and minimums["eng"] == 22
    assert "math_basic" not in minimums
    assert MinimumScore.objects.filter(procedure__code="ЕГЭ").values("year").distinct().count() == 4
