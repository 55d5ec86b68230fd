"""`opora import-pupil-results PATH... --user LOGIN [--dry-run]`: pupil results files in bulk.

Every .csv or .xlsx named, or found in a named folder, becomes its own import job of the canonical pupil
results format (docs/formats/pupil-results.md): created as the user, checked and, unless it has errors or
this is a dry run, committed. A broken file does not stop the others; the exit code is 1 if any was
rejected. The reporting is `import-results`'s.
"""

import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.imports.management.commands.import_results import COMMITTED, REJECTED, USAGE, Progress
from opora.imports.management.commands.import_results import Command as ResultsCommand
from opora.imports.models import ImportJob
from opora.imports.selectors import import_kind_allowed

KIND = ImportJob.Kind.PUPIL_RESULTS.value
# .xls is collected so that the user is told to save it as XLSX, rather than it being silently skipped.
SUFFIXES = {".csv", ".xlsx", ".xls"}


def pupil_results_paths_collect(paths: list[Path]) -> list[Path]:
    """The files to import in the order given, each once; folders searched for .csv and .xlsx files, sorted,
    hidden ones and Excel's «~$» lock files skipped. A missing path or a named file of another kind raises
    CommandError."""
    found: dict[Path, Path] = {}
    for path in paths:
        if path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise CommandError(_("Not a .csv or .xlsx file: %(path)s") % {"path": path}, returncode=USAGE)
            found.setdefault(path.resolve(), path)
        elif path.is_dir():
            inside = (
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not any(part.startswith((".", "~$")) for part in p.relative_to(path).parts)
            )
            for p in sorted(inside, key=lambda p: p.relative_to(path).parts):
                found.setdefault(p.resolve(), p)
        else:
            raise CommandError(_("No such file or folder: %(path)s") % {"path": path}, returncode=USAGE)
    return list(found.values())


class Command(ResultsCommand):
    help = (
        "Import pupil results files in Opora's canonical format (.csv or .xlsx; folders are searched "
        "recursively): each file is checked and committed on its own unless it has errors."
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
        paths = pupil_results_paths_collect(options["paths"])
        if not paths:
            raise CommandError(_("No .csv or .xlsx files found."), returncode=USAGE)
        progress = Progress(self.stderr, len(paths))
        outcomes: Counter[str] = Counter()
        pupils = 0
        for index, path in enumerate(paths, start=1):
            progress.step(index, path)
            job, outcome, note = self._import(path, user=user, kind=KIND, dry_run=options["dry_run"])
            progress.clear()
            self._report(path, job, outcome, note)
            outcomes[outcome] += 1
            if job is not None and outcome == COMMITTED:
                pupils += job.counts.get("pupils_written", 0)
        summary = self._summary(outcomes, len(paths), pupils, time.monotonic() - started, options["dry_run"])
        if outcomes[REJECTED]:
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)
