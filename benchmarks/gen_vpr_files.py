"""Generate a region's ВПР «Индивидуальные результаты» files for the import benchmark (not a test).

Usage: .venv/bin/python benchmarks/gen_vpr_files.py OUT_DIR [--files 2000] [--seed 2026] [--jobs 2]

The schools are those of the demo region (`opora.demo.region.generate_region`, pure Python, no database):
the benchmark builds the very same region with `demo_build(seed=..., schools=...)`, so every login in the
files is in the register and visible to the demo `region` user. Only active schools are used (a closed or
merged school's results would be refused). Each school gets one file per assessment (four ВПР
assessments, 12–17 tasks, 15 on average), 25–95 pupils per file (60 on average), so 2,000 files hold about
120,000 pupil rows. Everything is derived from the seed: the same command writes the same cells (the
XLSX bytes differ only by openpyxl's document timestamps). `manifest.json` in OUT_DIR records what was
written, for bench_import.py.
"""

import argparse
import datetime
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from opora.demo.region import Status, generate_region  # noqa: E402
from opora.imports.fis_oko.layout import VprPupil, VprTask, write_vpr_individual_results  # noqa: E402

YEAR = 2025
# (subject, grade, number of tasks, held on): 15 tasks on average.
ASSESSMENTS = [
    ("Математика", 5, 16, datetime.date(2025, 4, 15)),
    ("Русский язык", 5, 12, datetime.date(2025, 4, 17)),
    ("Математика", 6, 17, datetime.date(2025, 4, 22)),
    ("Русский язык", 6, 15, datetime.date(2025, 4, 24)),
]
LEVELS = ("Б", "Б", "Б", "П", "П", "В")


@dataclass(frozen=True)
class FileSpec:
    index: int
    path: str
    login: str
    name: str
    municipality: str
    assessment: int
    pupils: int


def tasks_of(assessment: int) -> list[VprTask]:
    _subject, _grade, count, _held_on = ASSESSMENTS[assessment]
    return [
        VprTask(str(t + 1), 1 + (t * 7 + assessment) % 3, LEVELS[t * len(LEVELS) // count])
        for t in range(count)
    ]


def pupils_per_file(index: int) -> int:
    return 25 + (index * 37) % 71  # 25..95, mean 60


def write_one(spec: FileSpec, seed: int) -> int:
    subject, grade, _count, held_on = ASSESSMENTS[spec.assessment]
    tasks = tasks_of(spec.assessment)
    rng = random.Random(f"{seed}:{spec.login}:{spec.assessment}")
    ability_shift = rng.uniform(-0.15, 0.15)  # schools differ
    maximum = sum(int(t.max_score) for t in tasks)
    pupils = []
    for p in range(spec.pupils):
        ability = min(0.98, max(0.05, rng.gauss(0.6 + ability_shift, 0.18)))
        scores: list[int | None] = []
        for task in tasks:
            if rng.random() < 0.04:
                scores.append(None)  # «X»: not attempted
            else:
                top = int(task.max_score)
                scores.append(sum(rng.random() < ability for _ in range(top)))
        share = sum(s or 0 for s in scores) / maximum
        mark = 2 if share < 0.3 else 3 if share < 0.55 else 4 if share < 0.8 else 5
        journal = None if rng.random() < 0.2 else max(2, min(5, mark + rng.choice((-1, 0, 0, 0, 1))))
        pupils.append(
            VprPupil(
                code=f"{10000 + p}",
                class_name=f"{grade}{'АБВГ'[p % 4]}",
                variant=str(1 + p % 2),
                scores=scores,
                mark=mark,
                journal_mark=journal,
            )
        )
    write_vpr_individual_results(
        spec.path,
        year=YEAR,
        subject=subject,
        grade=grade,
        school_login=spec.login,
        school_name=spec.name,
        municipality=spec.municipality,
        tasks=tasks,
        pupils=pupils,
        held_on=held_on,
    )
    return spec.pupils


def _write(args: tuple[FileSpec, int]) -> int:
    return write_one(*args)


def region_schools_for(files: int) -> int:
    """The demo region's size: enough active schools for `files` files (about 5 % are closed or merged)."""
    return min(9000, max(300, math.ceil(files / len(ASSESSMENTS) * 1.15)))


def plan(out: Path, files: int, seed: int) -> tuple[int, list[FileSpec]]:
    size = region_schools_for(files)
    region = generate_region(seed=seed, schools=size)
    municipalities = {m.code: m.name for m in region.municipalities}
    active = [s for s in region.schools if s.status == Status.ACTIVE]
    needed = math.ceil(files / len(ASSESSMENTS))
    if len(active) < needed:
        raise SystemExit(f"the demo region of {size} schools has only {len(active)} active ones")
    specs = []
    for index in range(files):
        school = active[index // len(ASSESSMENTS)]
        assessment = index % len(ASSESSMENTS)
        subject, grade, _n, _d = ASSESSMENTS[assessment]
        path = out / f"{school.login}_{'math' if subject == 'Математика' else 'rus'}{grade}.xlsx"
        specs.append(
            FileSpec(
                index,
                str(path),
                school.login,
                school.short_name,
                municipalities[school.municipality_code],
                assessment,
                pupils_per_file(index),
            )
        )
    return size, specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the directory to write into (created; must be empty)")
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"{out} is not empty")
    started = time.perf_counter()
    size, specs = plan(out, args.files, args.seed)
    with Pool(args.jobs) as pool:
        pupils = sum(pool.imap(_write, [(s, args.seed) for s in specs], chunksize=20))
    manifest = {
        "seed": args.seed,
        "region_schools": size,
        "files": len(specs),
        "pupils": pupils,
        "task_cells": sum(s.pupils * ASSESSMENTS[s.assessment][2] for s in specs),
        "bytes": sum(Path(s.path).stat().st_size for s in specs),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(
        f"{manifest['files']} files, {pupils:,} pupil rows, {manifest['bytes'] / 1e6:.1f} MB "
        f"from a demo region of {size} schools (seed {args.seed}) in {out}: "
        f"{time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
