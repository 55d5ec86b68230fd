"""`opora import-results PATH... --user LOGIN [--dry-run] [--kind vpr_results]`: results files in bulk.

Every .xlsx or .zip named, or found in a named folder, becomes its own import job: created as the user,
checked and, unless it has errors or this is a dry run, committed. A broken file does not stop the others.
The school indicators of the assessments changed are recomputed once, after the last file.
"""

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opora.accounts.models import User
from opora.imports.errors import render_row_error
from opora.imports.fis_oko.commit import vpr_indicators_deferred
from opora.imports.models import ImportJob
from opora.imports.selectors import import_kind_allowed
from opora.imports.services import ImportJobError, import_job_commit, import_job_create, import_job_validate

RESULTS_KINDS = [ImportJob.Kind.VPR_RESULTS.value]
SUFFIXES = {".xlsx", ".zip"}
USAGE = 2  # the exit code of a command that could not start: argparse's, for the same kind of mistake

COMMITTED, UNCHANGED, READY, REJECTED = "committed", "unchanged", "ready", "rejected"


def results_paths_collect(paths: list[Path]) -> list[Path]:
    """The files to import, in the order given; folders walked for .xlsx and .zip, sorted, hidden skipped.

    A path that does not exist, or a named file that is not .xlsx or .zip, raises CommandError."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise CommandError(
                    _("Not an .xlsx or .zip file: %(path)s") % {"path": path}, returncode=USAGE
                )
            found.append(path)
        elif path.is_dir():
            inside: list[Path] = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                inside.extend(
                    Path(folder, name)
                    for name in files
                    # «~$name.xlsx» is the lock file Excel leaves next to an open workbook.
                    if not name.startswith((".", "~$")) and Path(name).suffix.lower() in SUFFIXES
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


class Command(BaseCommand):
    help = (
        "Import results files (.xlsx, or .zip of them; folders are searched recursively): each file is "
        "checked and committed on its own unless it has errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files and folders")
        parser.add_argument("--user", required=True, help="login of the user the import is made as")
        parser.add_argument("--dry-run", action="store_true", help="check every file, commit none")
        parser.add_argument("--kind", choices=RESULTS_KINDS, default=ImportJob.Kind.VPR_RESULTS.value)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        kind: str = options["kind"]
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
        paths = results_paths_collect(options["paths"])
        if not paths:
            raise CommandError(_("No .xlsx or .zip files found."), returncode=USAGE)
        progress = Progress(self.stderr, len(paths))
        outcomes: Counter[str] = Counter()
        pupils = 0
        # Indicators are recomputed once at the end for the assessments the files changed, not per file.
        with vpr_indicators_deferred():
            for index, path in enumerate(paths, start=1):
                progress.step(index, path)
                job, outcome, note = self._import(path, user=user, kind=kind, dry_run=options["dry_run"])
                progress.clear()
                self._report(path, job, outcome, note)
                outcomes[outcome] += 1
                if job is not None and outcome == COMMITTED:
                    pupils += job.counts.get("pupils_written", 0)
        summary = self._summary(outcomes, len(paths), pupils, time.monotonic() - started, options["dry_run"])
        if outcomes[REJECTED]:
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)

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
        line = {
            COMMITTED: _("%(path)s: committed (import #%(job)s), pupil results written: %(pupils)s"),
            UNCHANGED: _("%(path)s: unchanged, Opora already holds this data (import #%(job)s)"),
            READY: _("%(path)s: checked, ready to commit (import #%(job)s)"),
        }[outcome]
        self.stdout.write(line % {"path": path, "job": job.pk, "pupils": job.counts.get("pupils_written", 0)})

    def _summary(self, outcomes: Counter[str], files: int, pupils: int, seconds: float, dry_run: bool) -> str:
        values = {
            "files": files,
            "committed": outcomes[COMMITTED],
            "ready": outcomes[READY],
            "unchanged": outcomes[UNCHANGED],
            "rejected": outcomes[REJECTED],
            "pupils": pupils,
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
        return (
            _(
                "Files processed: %(files)s; committed: %(committed)s; unchanged: %(unchanged)s; "
                "rejected: %(rejected)s; pupil results written: %(pupils)s; time: %(seconds)s s."
            )
            % values
        )
