"""The demo's ОГЭ and ЕГЭ per school: deterministic, driven by the latent model, in the Opora format."""

import statistics

from opora.demo.exams import COLUMNS, exams_csv, generate_exams
from opora.demo.region import generate_region


def test_the_same_seed_gives_the_same_exams() -> None:
    assert generate_exams(generate_region(seed=5, schools=60)) == generate_exams(
        generate_region(seed=5, schools=60)
    )


def test_schools_with_a_weaker_intake_fail_the_exams_more_often() -> None:
    demo = generate_region(seed=5, schools=120)
    level = {s.login: 0.45 * s.latent.ses + s.latent.effect for s in demo.schools}
    rows = [r for r in generate_exams(demo) if r.procedure == "ЕГЭ" and r.participants >= 5]
    ordered = sorted(rows, key=lambda r: level[r.login])
    half = len(ordered) // 2
    weak = statistics.mean(r.below_minimum / r.participants for r in ordered[:half])
    strong = statistics.mean(r.below_minimum / r.participants for r in ordered[half:])
    assert weak > strong


def test_every_row_is_consistent_and_written_in_the_school_level_format() -> None:
    rows = generate_exams(generate_region(seed=5, schools=60), years=(2025,))
    assert rows and {r.year for r in rows} == {2025}
    for row in rows:
        assert 0 <= row.below_minimum <= row.participants
        if row.share_marks is not None:
            assert abs(sum(row.share_marks) - 100) <= 0.05
        assert (row.grade, row.procedure) in {(9, "ОГЭ"), (11, "ЕГЭ")}
    lines = exams_csv(rows).splitlines()
    assert lines[0].split(";") == list(COLUMNS) and len(lines) == len(rows) + 1
