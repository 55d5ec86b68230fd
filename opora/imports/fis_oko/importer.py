"""The ВПР «Индивидуальные результаты» import: one XLSX, or a ZIP of many → a checked plan → results.

Validation reads every file, then checks against the database what only it knows (the school and the
user's scope, the subject, the stored tasks, the mark scale) in a fixed number of queries, whatever the
number of files. The plan says, per file, whether the school's results are created, replaced or unchanged
(same file hash as stored).
"""

import hashlib
import io
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.assessments.models import Assessment, MarkScale, Procedure, SchoolAssessment, Subject
from opora.imports.base import Validation, pupil_results_summary
from opora.imports.errors import RowError
from opora.imports.fis_oko.commit import vpr_plan_apply
from opora.imports.fis_oko.layout import MARK, fold
from opora.imports.fis_oko.parse import VprFile, is_workbook
from opora.imports.fis_oko.plan import (
    CREATE,
    PROCEDURE_CODE,
    REPLACE,
    UNCHANGED,
    AssessmentKey,
    AssessmentPlan,
    FilePlan,
    VprPlan,
)
from opora.imports.fis_oko.pool import workbooks_read, workers_for
from opora.imports.readers import ZIP_MAGIC
from opora.imports.schools import unknown_school
from opora.registry.identity import SchoolResolver
from opora.registry.models import School

MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024


def _member_name(info: zipfile.ZipInfo) -> str:
    """Archives made on Windows store Cyrillic names in CP866 without saying so."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("cp866")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def read_files(
    data: bytes, *, file_name: str
) -> tuple[list[tuple[str, bytes]], list[RowError], list[RowError]]:
    """The workbooks to read as (name, bytes): the file itself, or the XLSX members of a ZIP archive."""
    if not data.startswith(ZIP_MAGIC) or is_workbook(data):
        return [(file_name, data)], [], []
    errors: list[RowError] = []
    warnings: list[RowError] = []
    files: list[tuple[str, bytes]] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return (
            [],
            [RowError(file_name, None, None, "", _("the ZIP archive is damaged and cannot be opened"))],
            [],
        )
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > MAX_MEMBERS:
            message = _("the archive holds %(count)s files, at most %(limit)s are accepted") % {
                "count": len(members),
                "limit": MAX_MEMBERS,
            }
            return [], [RowError(file_name, None, None, "", message)], []
        if sum(i.file_size for i in members) > MAX_ARCHIVE_BYTES:
            message = _("the archive unpacks to too much data; split it into several archives")
            return [], [RowError(file_name, None, None, "", message)], []
        for info in sorted(members, key=_member_name):
            name = _member_name(info)
            shown = f"{file_name}/{name}"
            base = name.rsplit("/", 1)[-1]
            if name.startswith("__MACOSX/") or base.startswith((".", "~$")):
                continue
            if not base.lower().endswith(".xlsx"):
                warnings.append(
                    RowError(
                        shown, None, None, "", _("not an XLSX workbook of the form; the file is skipped")
                    )
                )
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                errors.append(
                    RowError(shown, None, None, "", _("the file is too large for a form of one school"))
                )
                continue
            try:
                files.append((shown, archive.read(info)))
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError):
                errors.append(
                    RowError(
                        shown,
                        None,
                        None,
                        "",
                        _("the file cannot be unpacked: the archive is damaged or encrypted"),
                    )
                )
    if not files and not errors:
        errors.append(RowError(file_name, None, None, "", _("the archive holds no XLSX files")))
    return files, errors, warnings


class _Checker:
    """The database side of validation, loaded once for all the files of a job."""

    def __init__(self, user: User, files: list[VprFile]) -> None:
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.procedure = Procedure.objects.filter(code=PROCEDURE_CODE).first()
        self.subjects = {fold(s.name): s for s in Subject.objects.all()}
        self.resolver = SchoolResolver.cached()
        self.visible = set(schools_visible_to(user).values_list("pk", flat=True))
        years = {f.year for f in files}
        grades = {f.grade for f in files}
        self.stored: dict[AssessmentKey, Assessment] = {}
        self.scales: dict[AssessmentKey, MarkScale] = {}
        if self.procedure is not None and files:
            for assessment in Assessment.objects.filter(
                procedure=self.procedure, year__in=years, grade__in=grades
            ).prefetch_related("tasks"):
                self.stored[(assessment.year, assessment.subject_id, assessment.grade)] = assessment
            for scale in MarkScale.objects.filter(procedure=self.procedure, year__in=years, grade__in=grades):
                self.scales[(scale.year, scale.subject_id, scale.grade)] = scale

    def _problem(
        self, f: VprFile, row: int | None, column: str, message: str, *, warning: bool = False
    ) -> None:
        (self.warnings if warning else self.errors).append(
            RowError(f.file_name, f.sheet, row, column, message)
        )

    def plan(self, files: list[VprFile], *, job_id: int | None) -> VprPlan | None:
        if self.procedure is None:
            self.errors.append(
                RowError("", None, None, "", _("the procedure «ВПР» is missing from the database"))
            )
            return None
        plan = VprPlan(procedure_id=self.procedure.pk, job_id=job_id)
        seen: dict[tuple[AssessmentKey, int], str] = {}
        for f in files:
            subject = self.subjects.get(fold(f.subject))
            school_id = self._school(f)
            if subject is None:
                self._problem(
                    f,
                    None,
                    "",
                    _("unknown subject «%(subject)s»; known subjects: %(known)s")
                    % {
                        "subject": f.subject,
                        "known": ", ".join(sorted(s.name for s in self.subjects.values())),
                    },
                )
                continue
            key = (f.year, subject.pk, f.grade)
            if not self._tasks_agree(f, key, subject, plan):
                continue
            self._check_marks(f, key)
            if school_id is None:
                continue
            if (key, school_id) in seen:
                self._problem(
                    f,
                    None,
                    "",
                    _("the same school and assessment are already in the file «%(other)s»")
                    % {"other": seen[(key, school_id)]},
                )
                continue
            seen[(key, school_id)] = f.file_name
            plan.files.append(self._file_plan(f, key, school_id))
        self._name_schools(plan)
        self._attach_existing(plan)
        return plan

    def _school(self, f: VprFile) -> int | None:
        resolution = self.resolver.resolve(login=f.school_login)
        if resolution.school_id is None:
            message, unknown = unknown_school(
                self.resolver,
                visible=self.visible,
                login=f.school_login,
                name=f.school_name,
                candidates=resolution.suggestions,
            )
            # A login that several schools share is a register problem an alias would not solve: no
            # mapping is offered then.
            school = None if resolution.ambiguous else unknown
            self.errors.append(RowError(f.file_name, f.sheet, None, "", message, school=school))
            return None
        if resolution.school_id not in self.visible:
            self._problem(
                f,
                None,
                "",
                _("you may not import results of the school %(login)s: it is outside your area")
                % {"login": f.school_login},
            )
            return None
        return resolution.school_id

    def _tasks_agree(self, f: VprFile, key: AssessmentKey, subject: Subject, plan: VprPlan) -> bool:
        file_tasks = [(t.label, t.max_score) for t in f.tasks]
        known = plan.assessments.get(key)
        if known is not None:
            expected = [(t.label, t.max_score) for t in known.tasks]
        elif key in self.stored:
            stored = self.stored[key]
            expected = [(t.label, t.max_score) for t in sorted(stored.tasks.all(), key=lambda t: t.position)]
        else:
            expected = file_tasks
        if file_tasks != expected:
            self._problem(
                f,
                f.header_row,
                "",
                _(
                    "the tasks of the file (%(file)s) differ from those of the assessment already known "
                    "(%(known)s): check that the file is of this subject, grade and year"
                )
                % {"file": _tasks_text(file_tasks), "known": _tasks_text(expected)},
            )
            return False
        if known is None:
            stored_assessment = self.stored.get(key)
            plan.assessments[key] = AssessmentPlan(
                key=key,
                subject=subject.name,
                max_primary_score=f.max_primary_score,
                held_on=f.held_on,
                tasks=f.tasks,
                assessment_id=stored_assessment.pk if stored_assessment else None,
            )
        return True

    def _check_marks(self, f: VprFile, key: AssessmentKey) -> None:
        scale = self.scales.get(key)
        if scale is None:
            return
        column = f.columns.get(MARK, MARK)
        for pupil in f.pupils:
            if pupil.primary_score is None or pupil.mark is None:
                continue
            expected = scale.mark_for(Decimal(pupil.primary_score))
            if expected != pupil.mark:
                self._problem(
                    f,
                    pupil.row,
                    column,
                    _(
                        "the mark %(mark)s does not match the scale: a primary score of %(score)s "
                        "gives %(expected)s"
                    )
                    % {"mark": pupil.mark, "score": _plain(pupil.primary_score), "expected": expected},
                    warning=True,
                )

    def _file_plan(self, f: VprFile, key: AssessmentKey, school_id: int) -> FilePlan:
        return FilePlan(f, key, school_id, "", "", CREATE)

    def _name_schools(self, plan: VprPlan) -> None:
        schools = School.objects.select_related("municipality").in_bulk({p.school_id for p in plan.files})
        for p in plan.files:
            p.school = schools[p.school_id].short_name
            p.municipality = schools[p.school_id].municipality.name

    def _attach_existing(self, plan: VprPlan) -> None:
        """Stored results of the planned schools: one query for all the files."""
        by_key = {p.key: p.assessment_id for p in plan.assessments.values() if p.assessment_id}
        wanted = [(by_key[p.key], p.school_id) for p in plan.files if p.key in by_key]
        if not wanted:
            return
        existing = {
            (sa.assessment_id, sa.school_id): sa
            for sa in SchoolAssessment.objects.filter(
                assessment_id__in={a for a, _s in wanted}, school_id__in={s for _a, s in wanted}
            ).annotate(pupil_count=Count("pupils"))
        }
        for p in plan.files:
            sa = existing.get((by_key.get(p.key, 0), p.school_id))
            if sa is None:
                continue
            p.school_assessment_id = sa.pk
            p.old_sha256 = sa.source_sha256
            p.old_count = sa.pupil_count
            p.action = UNCHANGED if sa.source_sha256 == p.file.sha256 else REPLACE


def _tasks_text(tasks: list[tuple[str, Decimal]]) -> str:
    return ", ".join(f"{label} ({_plain(score)}б)" for label, score in tasks)


def _plain(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f").replace(".", ",")


@dataclass(frozen=True)
class _Read:
    """What reading a file found, before the database is asked anything: the same for the same bytes."""

    members: int
    files: tuple[VprFile, ...]
    errors: tuple[RowError, ...]
    warnings: tuple[RowError, ...]


# The reading of the last files validated in this process, keyed by their content (and what else the
# reading depends on: the interface language of its messages, the year that bounds a title's year). A job
# is validated for its preview and again inside the commit's transaction; the second validation re-runs
# only the database checks and the plan (the register may have changed since the preview), not the
# reading of every workbook. Small and consumed on use, so a web worker does not keep large uploads.
_READ_CACHE: OrderedDict[tuple[str, str, str, int], _Read] = OrderedDict()
_READ_CACHE_SIZE = 2


def _read(data: bytes, *, file_name: str) -> _Read:
    key = (
        hashlib.sha256(data).hexdigest(),
        file_name,
        translation.get_language() or "",
        timezone.localdate().year,
    )
    cached = _READ_CACHE.pop(key, None)
    if cached is not None:
        return cached
    members, errors, warnings = read_files(data, file_name=file_name)
    results = workbooks_read(members, workers=workers_for(len(members)), this_year=key[3])
    parsed: list[VprFile] = []
    for result in results:
        errors.extend(result.errors)
        warnings.extend(result.warnings)
        if result.file is not None:
            parsed.append(result.file)
    read = _Read(len(members), tuple(parsed), tuple(errors), tuple(warnings))
    _READ_CACHE[key] = read
    while len(_READ_CACHE) > _READ_CACHE_SIZE:
        _READ_CACHE.popitem(last=False)
    return read


def vpr_results_validate(
    *, source: IO[bytes], file_name: str, user: User, job_id: int | None = None
) -> Validation:
    """Read the file (an XLSX or a ZIP of them) and check it for this user; never writes."""
    source.seek(0)
    read = _read(source.read(), file_name=file_name)
    parsed = list(read.files)
    errors, warnings = list(read.errors), list(read.warnings)
    plan: VprPlan | None = None
    if parsed:
        checker = _Checker(user, parsed)
        plan = checker.plan(parsed, job_id=job_id)
        errors.extend(checker.errors)
        warnings.extend(checker.warnings)
    counts = {
        "files": read.members,
        "rows": sum(len(f.pupils) for f in parsed),
        "create": 0,
        "update": 0,
        "unchanged": 0,
        "errors": len(errors),
        "warnings": len(warnings),
    }
    if errors or plan is None:
        return Validation(errors=errors, warnings=warnings, counts=counts, preview={"counts": counts})
    counts.update(
        create=len(plan.of(CREATE)), update=len(plan.of(REPLACE)), unchanged=len(plan.of(UNCHANGED))
    )
    return Validation(errors=[], warnings=warnings, counts=counts, preview=_preview(plan, counts), plan=plan)


def _preview(plan: VprPlan, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "counts": counts,
        "files": [
            {
                "file": p.file.file_name,
                "login": p.file.school_login,
                "school": p.school,
                "municipality": p.municipality,
                "assessment": plan.assessments[p.key].title,
                "participants": len(p.file.pupils),
                "action": p.action,
                "old_participants": p.old_count if p.action != CREATE else None,
            }
            for p in plan.files
        ],
        "assessments": [
            {"assessment": a.title, "tasks": len(a.tasks), "new": a.assessment_id is None}
            for a in plan.assessments.values()
        ],
    }


class VprResultsImporter:
    def validate(self, *, source: IO[bytes], file_name: str, user: User, job_id: int | None) -> Validation:
        return vpr_results_validate(source=source, file_name=file_name, user=user, job_id=job_id)

    def apply(self, validation: Validation, *, user: User, source: str) -> dict[str, int]:
        assert validation.ok and isinstance(validation.plan, VprPlan)
        return vpr_plan_apply(plan=validation.plan, actor=user, source=source)

    def summary(self, applied: dict[str, int]) -> str:
        return pupil_results_summary(applied)
