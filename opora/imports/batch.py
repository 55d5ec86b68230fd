"""Files in bulk from the command line: one import job per file, each checked and committed on its own.

`BatchImportCommand` is the whole command; `opora import-results`, `import-pupil-results`,
`import-school-results` and `import-context` only say which kind of job, which file suffixes, and how a
committed file and the run are summed up. A broken file does not stop the others; the command exits with 1
when any file was rejected and with 2 (argparse's code) when it could not start. Pupil-level indicators are
recomputed once, after the last file (`school_indicators_deferred`), not per file.
"""

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from opora.accounts.models import User
from opora.assessments.services import school_indicators_deferred
from opora.core.collection import with_gc_paused
from opora.imports.errors import render_row_error
from opora.imports.models import ImportJob
from opora.imports.selectors import import_kind_allowed
from opora.imports.services import ImportJobError, import_job_commit, import_job_create, import_job_validate

USAGE = 2  # the exit code of a command that could not start: argparse's, for the same kind of mistake

COMMITTED, UNCHANGED, READY, REJECTED = "committed", "unchanged", "ready", "rejected"


def paths_collect(
    paths: list[Path], suffixes: frozenset[str], *, not_a_file: str | Promise = ""
) -> list[Path]:
    """The files to import, in the order given, each once; folders walked for `suffixes` (lower case, with
    the dot), sorted, hidden files and folders and Excel's «~$» lock files skipped.

    A path that does not exist, or a named file of another suffix, raises CommandError (`not_a_file`, a
    message with %(path)s, says which types are expected)."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            if path.suffix.lower() not in suffixes:
                raise CommandError(str(not_a_file) % {"path": path}, returncode=USAGE)
            found.append(path)
        elif path.is_dir():
            inside: list[Path] = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                inside.extend(
                    Path(folder, name)
                    for name in files
                    # «~$name.xlsx» is the lock file Excel leaves next to an open workbook.
                    if not name.startswith((".", "~$")) and Path(name).suffix.lower() in suffixes
                )
            found.extend(sorted(inside, key=lambda p: p.relative_to(path).parts))
        else:
            raise CommandError(_("No such file or folder: %(path)s") % {"path": path}, returncode=USAGE)
    unique: dict[Path, Path] = {}  # a file named twice (itself and inside its folder) is imported once
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


class Progress:
    """«File 3 of 10: name» on stderr: one line rewritten in place on a terminal, a line per file in a log."""

    def __init__(self, stream: OutputWrapper, total: int) -> None:
        self.stream = stream
        self.total = total
        self.tty = stream.isatty()
        self.shown = False

    def step(self, index: int, path: Path) -> None:
        text = _("File %(index)s of %(total)s: %(path)s") % {
            "index": index,
            "total": self.total,
            "path": path,
        }
        if self.tty:
            self.stream.write(f"\r\033[K{text}", style_func=_plain, ending="")
            self.stream.flush()
            self.shown = True
        else:
            self.stream.write(text, style_func=_plain)

    def clear(self) -> None:
        """Before any other output, so that it does not land on the end of the progress line."""
        if self.shown:
            self.stream.write("\r\033[K", style_func=_plain, ending="")
            self.shown = False


def _plain(text: str) -> str:
    return text


class BatchImportCommand(BaseCommand):
    """`PATH... --user LOGIN [--dry-run]`: every file named, or found in a named folder, becomes a job."""

    kind: str
    suffixes: frozenset[str]
    #: Messages naming the expected file types: one with %(path)s, one for a search that found none.
    not_a_file: str | Promise
    none_found: str | Promise
    #: The run's summary, with %(files)s, %(committed)s, %(unchanged)s, %(rejected)s, %(written)s and
    #: %(seconds)s (%(pupils)s is %(written)s again, for the summary of pupil results).
    summary: str | Promise

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files and folders")
        parser.add_argument("--user", required=True, help="login of the user the import is made as")
        parser.add_argument("--dry-run", action="store_true", help="check every file, commit none")

    def job_kind(self, options: dict[str, Any]) -> str:
        return self.kind

    def written(self, job: ImportJob) -> int:
        """What a committed job wrote, for the run's total."""
        return 0

    def committed_line(self, path: Path, job: ImportJob) -> str:
        """The line on stdout for a committed file (by default with the pupil results it wrote)."""
        return _("%(path)s: committed (import #%(job)s), pupil results written: %(pupils)s") % {
            "path": path,
            "job": job.pk,
            "pupils": self.written(job),
        }

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        kind = self.job_kind(options)
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(
                _("No active user with the login «%(login)s».") % {"login": options["user"]}, returncode=USAGE
            )
        if not import_kind_allowed(user=user, kind=kind):
            raise CommandError(
                _("The user «%(login)s» may not import «%(kind)s».")
                % {"login": user.username, "kind": ImportJob.Kind(kind).label},
                returncode=USAGE,
            )
        paths = paths_collect(options["paths"], self.suffixes, not_a_file=self.not_a_file)
        if not paths:
            raise CommandError(str(self.none_found), returncode=USAGE)
        progress = Progress(self.stderr, len(paths))
        outcomes: Counter[str] = Counter()
        written = 0
        with school_indicators_deferred():
            for index, path in enumerate(paths, start=1):
                progress.step(index, path)
                job, outcome, note = self._import(path, user=user, kind=kind, dry_run=options["dry_run"])
                progress.clear()
                self._report(path, job, outcome, note)
                outcomes[outcome] += 1
                if job is not None and outcome == COMMITTED:
                    written += self.written(job)
        summary = self._summary(outcomes, len(paths), written, time.monotonic() - started, options["dry_run"])
        if outcomes[REJECTED]:
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)

    # One pause for a file's creation, check and commit (not for the run: the cycles a job leaves, some forty
    # objects a file, are collected between files).
    @with_gc_paused
    def _import(
        self, path: Path, *, user: User, kind: str, dry_run: bool
    ) -> tuple[ImportJob | None, str, str]:
        """One file through the job flow: (the job if one was made, the outcome, why it was rejected)."""
        try:
            with path.open("rb") as handle:
                job = import_job_create(user=user, kind=kind, uploaded_file=File(handle, name=path.name))
        except ImportJobError as error:
            return None, REJECTED, error.message
        except PermissionDenied:
            return None, REJECTED, _("the user may not import this kind of file")
        except OSError as error:
            return (
                None,
                REJECTED,
                _("the file cannot be read: %(error)s") % {"error": error.strerror or error},
            )
        job = import_job_validate(job=job)
        if job.status != ImportJob.Status.VALIDATED:
            return job, REJECTED, ""
        nothing_to_change = not (job.counts.get("create", 0) or job.counts.get("update", 0))
        if dry_run:
            return job, UNCHANGED if nothing_to_change else READY, ""
        job = import_job_commit(job=job, user=user)
        if job.status != ImportJob.Status.COMMITTED:
            last = job.events.order_by("-at", "-id").values_list("message", flat=True).first()
            return job, REJECTED, last or _("The file was not committed.")
        return job, UNCHANGED if nothing_to_change else COMMITTED, ""

    def _report(self, path: Path, job: ImportJob | None, outcome: str, note: str) -> None:
        """The file's errors and warnings on stderr (Russian, each with its place), its outcome on stdout."""
        if job is not None and (job.errors or job.warnings):
            self.stderr.write(_("%(path)s (import #%(job)s):") % {"path": path, "job": job.pk})
            for problem in job.errors:
                self.stderr.write(render_row_error(problem))
            hidden = job.counts.get("errors", len(job.errors)) - len(job.errors)
            if hidden > 0:
                self.stderr.write(
                    ngettext(
                        "… and %(count)s more error, not shown.",
                        "… and %(count)s more errors, not shown.",
                        hidden,
                    )
                    % {"count": hidden}
                )
            for problem in job.warnings:
                self.stderr.write(
                    _("Warning: %(problem)s") % {"problem": render_row_error(problem)},
                    style_func=self.style.WARNING,
                )
        if outcome == REJECTED:
            errors = job.counts.get("errors", len(job.errors)) if job is not None else 0
            reason = note or ngettext("%(count)s error", "%(count)s errors", errors) % {"count": errors}
            self.stderr.write(
                _("%(path)s: rejected, nothing written: %(reason)s") % {"path": path, "reason": reason}
            )
            return
        assert job is not None
        if outcome == COMMITTED:
            self.stdout.write(self.committed_line(path, job))
            return
        line = {
            UNCHANGED: _("%(path)s: unchanged, Opora already holds this data (import #%(job)s)"),
            READY: _("%(path)s: checked, ready to commit (import #%(job)s)"),
        }[outcome]
        self.stdout.write(line % {"path": path, "job": job.pk})

    def _summary(
        self, outcomes: Counter[str], files: int, written: int, seconds: float, dry_run: bool
    ) -> str:
        values = {
            "files": files,
            "committed": outcomes[COMMITTED],
            "ready": outcomes[READY],
            "unchanged": outcomes[UNCHANGED],
            "rejected": outcomes[REJECTED],
            "written": written,
            "pupils": written,
            "seconds": f"{seconds:.1f}".replace(".", ","),
        }
        if dry_run:
            return (
                _(
                    "Dry run, nothing was written. Files processed: %(files)s; ready to commit: %(ready)s; "
                    "unchanged: %(unchanged)s; rejected: %(rejected)s; time: %(seconds)s s."
                )
                % values
            )
        return str(self.summary) % values


class PupilResultsBatchCommand(BatchImportCommand):
    """A batch of pupil-level results files: each committed file and the run count the pupils written."""

    summary = gettext_lazy(
        "Files processed: %(files)s; committed: %(committed)s; unchanged: %(unchanged)s; "
        "rejected: %(rejected)s; pupil results written: %(pupils)s; time: %(seconds)s s."
    )

    def written(self, job: ImportJob) -> int:
        return int(job.counts.get("pupils_written", 0))
