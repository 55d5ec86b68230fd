"""`opora import-context PATH... --user LOGIN [--dry-run]`: social passport files in bulk.

Every .csv, .xlsx or .xls named, or found in a named folder, becomes its own import job: created as the
user, checked and, unless it has errors or this is a dry run, committed. A broken file does not stop the
others; the command exits with 1 if any file was rejected.
"""

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opora.accounts.models import User
from opora.imports.errors import render_row_error
from opora.imports.management.commands.import_results import (
    COMMITTED,
    READY,
    REJECTED,
    UNCHANGED,
    USAGE,
    Progress,
)
from opora.imports.models import ImportJob
from opora.imports.selectors import import_kind_allowed
from opora.imports.services import ImportJobError, import_job_commit, import_job_create, import_job_validate

KIND = ImportJob.Kind.CONTEXT.value
SUFFIXES = {".csv", ".xlsx", ".xls"}


def context_paths_collect(paths: list[Path]) -> list[Path]:
    """The files to import, in the order given; folders walked for .csv, .xlsx and .xls, hidden skipped.

    A path that does not exist, or a named file of another type, raises CommandError."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise CommandError(
                    _("Not a .csv, .xlsx or .xls file: %(path)s") % {"path": path}, returncode=USAGE
                )
            found.append(path)
        elif path.is_dir():
            inside: list[Path] = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                inside.extend(
                    Path(folder, name)
                    for name in files
                    if not name.startswith((".", "~$")) and Path(name).suffix.lower() in SUFFIXES
                )
            found.extend(sorted(inside, key=lambda p: p.relative_to(path).parts))
        else:
            raise CommandError(_("No such file or folder: %(path)s") % {"path": path}, returncode=USAGE)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


class Command(BaseCommand):
    help = (
        "Import social passport files (.csv, .xlsx, .xls; folders are searched recursively): each file "
        "is checked and committed on its own unless it has errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files and folders")
        parser.add_argument("--user", required=True, help="login of the user the import is made as")
        parser.add_argument("--dry-run", action="store_true", help="check every file, commit none")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(
                _("No active user with the login «%(login)s».") % {"login": options["user"]}, returncode=USAGE
            )
        if not import_kind_allowed(user=user, kind=KIND):
            raise CommandError(
                _("The user «%(login)s» may not import «%(kind)s».")
                % {"login": user.username, "kind": ImportJob.Kind(KIND).label},
                returncode=USAGE,
            )
        paths = context_paths_collect(options["paths"])
        if not paths:
            raise CommandError(_("No .csv, .xlsx or .xls files found."), returncode=USAGE)
        progress = Progress(self.stderr, len(paths))
        outcomes: Counter[str] = Counter()
        for index, path in enumerate(paths, start=1):
            progress.step(index, path)
            job, outcome, note = self._import(path, user=user, dry_run=options["dry_run"])
            progress.clear()
            self._report(path, job, outcome, note)
            outcomes[outcome] += 1
        summary = self._summary(outcomes, len(paths), time.monotonic() - started, options["dry_run"])
        if outcomes[REJECTED]:
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)

    def _import(self, path: Path, *, user: User, dry_run: bool) -> tuple[ImportJob | None, str, str]:
        """One file through the job flow: (the job if one was made, the outcome, why it was rejected)."""
        try:
            with path.open("rb") as handle:
                job = import_job_create(user=user, kind=KIND, uploaded_file=File(handle, name=path.name))
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
        """The file's errors and warnings on stderr (each with its place), its outcome on stdout."""
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
            COMMITTED: _("%(path)s: committed (import #%(job)s): %(summary)s"),
            UNCHANGED: _("%(path)s: unchanged, Opora already holds this data (import #%(job)s)"),
            READY: _("%(path)s: checked, ready to commit (import #%(job)s)"),
        }[outcome]
        summary = _("passports created: %(created)s, updated: %(updated)s") % {
            "created": job.counts.get("create", 0),
            "updated": job.counts.get("update", 0),
        }
        self.stdout.write(line % {"path": path, "job": job.pk, "summary": summary})

    def _summary(self, outcomes: Counter[str], files: int, seconds: float, dry_run: bool) -> str:
        values = {
            "files": files,
            "committed": outcomes[COMMITTED],
            "ready": outcomes[READY],
            "unchanged": outcomes[UNCHANGED],
            "rejected": outcomes[REJECTED],
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
                "rejected: %(rejected)s; time: %(seconds)s s."
            )
            % values
        )
