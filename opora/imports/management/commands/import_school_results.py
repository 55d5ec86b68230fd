"""`opora import-school-results PATH... --user LOGIN [--dry-run]`: school-level results files in bulk.

ВПР «Статистика по отметкам», regional ЕГЭ/ОГЭ tables and the canonical school-level format
(docs/formats/school-results.md). Every .csv, .xlsx or .xls named, or found in a named folder, becomes its
own import job: created as the user, checked and, unless it has errors or this is a dry run, committed. A
broken file does not stop the others; the command exits with 1 if any file was rejected. The job flow, the
progress line and the report of each file are those of `import_results`.
"""

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.imports.errors import render_row_error
from opora.imports.management.commands import import_results
from opora.imports.management.commands.import_results import COMMITTED, REJECTED, USAGE, Progress
from opora.imports.models import ImportJob
from opora.imports.selectors import import_kind_allowed

KIND = ImportJob.Kind.SCHOOL_RESULTS.value
SUFFIXES = {".csv", ".xlsx", ".xls"}


def school_results_paths_collect(paths: list[Path]) -> list[Path]:
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
            inside = [
                Path(folder, name)
                for folder, _dirs, files in os.walk(path)
                if not any(part.startswith(".") for part in Path(folder).relative_to(path).parts)
                for name in files
                if not name.startswith((".", "~$")) and Path(name).suffix.lower() in SUFFIXES
            ]
            found.extend(sorted(inside, key=lambda p: p.relative_to(path).parts))
        else:
            raise CommandError(_("No such file or folder: %(path)s") % {"path": path}, returncode=USAGE)
    unique: dict[Path, Path] = {}  # a file named twice (itself and inside its folder) is imported once
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


class Command(import_results.Command):
    help = (
        "Import results per school (.csv, .xlsx, .xls; folders are searched recursively): each file is "
        "checked and committed on its own unless it has errors."
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
        paths = school_results_paths_collect(options["paths"])
        if not paths:
            raise CommandError(_("No .csv, .xlsx or .xls files found."), returncode=USAGE)
        progress = Progress(self.stderr, len(paths))
        outcomes: Counter[str] = Counter()
        written = 0
        for index, path in enumerate(paths, start=1):
            progress.step(index, path)
            job, outcome, note = self._import(path, user=user, kind=KIND, dry_run=options["dry_run"])
            progress.clear()
            self._report(path, job, outcome, note)
            outcomes[outcome] += 1
            if job is not None and outcome == COMMITTED:
                written += job.counts.get("created", 0) + job.counts.get("updated", 0)
        summary = self._school_summary(outcomes, len(paths), written, time.monotonic() - started, options)
        if outcomes[REJECTED]:
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)

    def _report(self, path: Path, job: ImportJob | None, outcome: str, note: str) -> None:
        if outcome != COMMITTED or job is None:
            super()._report(path, job, outcome, note)
            return
        if job.warnings:
            self.stderr.write(_("%(path)s (import #%(job)s):") % {"path": path, "job": job.pk})
            for problem in job.warnings:
                self.stderr.write(
                    _("Warning: %(problem)s") % {"problem": render_row_error(problem)},
                    style_func=self.style.WARNING,
                )
        summary = _("school results created: %(created)s, replaced: %(updated)s") % {
            "created": job.counts.get("created", 0),
            "updated": job.counts.get("updated", 0),
        }
        self.stdout.write(
            _("%(path)s: committed (import #%(job)s): %(summary)s")
            % {"path": path, "job": job.pk, "summary": summary}
        )

    def _school_summary(
        self, outcomes: Counter[str], files: int, written: int, seconds: float, options: dict[str, Any]
    ) -> str:
        if options["dry_run"]:
            return self._summary(outcomes, files, 0, seconds, True)
        return _(
            "Files processed: %(files)s; committed: %(committed)s; unchanged: %(unchanged)s; "
            "rejected: %(rejected)s; school results written: %(written)s; time: %(seconds)s s."
        ) % {
            "files": files,
            "committed": outcomes[COMMITTED],
            "unchanged": outcomes[import_results.UNCHANGED],
            "rejected": outcomes[REJECTED],
            "written": written,
            "seconds": f"{seconds:.1f}".replace(".", ","),
        }
