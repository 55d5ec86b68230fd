"""`opora import-register FILE --user LOGIN [--dry-run]`: check a register file and commit it."""

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opora.accounts.models import User
from opora.imports.errors import render_row_error
from opora.imports.models import ImportJob
from opora.imports.services import (
    ImportJobError,
    import_job_commit,
    import_job_create,
    import_job_validate,
)


class Command(BaseCommand):
    help = "Check a school register file (CSV or XLSX) and commit it unless there are errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="login of the user the import is made as")
        parser.add_argument("--dry-run", action="store_true", help="check and show the preview only")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(_("No active user with the login «%(login)s».") % {"login": options["user"]})
        if not path.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": path})
        try:
            with path.open("rb") as handle:
                job = import_job_create(
                    user=user, kind=ImportJob.Kind.REGISTER, uploaded_file=File(handle, name=path.name)
                )
        except PermissionDenied:
            raise CommandError(
                _("The user «%(login)s» may not import the register.") % {"login": user.username}
            ) from None
        except ImportJobError as error:
            raise CommandError(error.message) from None
        job = import_job_validate(job=job)
        for problem in job.errors:
            self.stderr.write(render_row_error(problem))
        for problem in job.warnings:
            self.stderr.write(_("Warning: %(problem)s") % {"problem": render_row_error(problem)})
        self._summary(job)
        if job.status != ImportJob.Status.VALIDATED:
            count = job.counts.get("errors", len(job.errors))
            raise CommandError(
                ngettext(
                    "The file is rejected: %(count)s error. Nothing was written (import #%(job)s).",
                    "The file is rejected: %(count)s errors. Nothing was written (import #%(job)s).",
                    count,
                )
                % {"count": count, "job": job.pk},
                returncode=1,
            )
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written (import #%(job)s).") % {"job": job.pk})
            return
        job = import_job_commit(job=job, user=user)
        if job.status != ImportJob.Status.COMMITTED:
            last = job.events.order_by("-at", "-id").first()
            raise CommandError(last.message if last else _("The file was not committed."), returncode=1)
        self.stdout.write(job.events.order_by("-at", "-id").values_list("message", flat=True).first() or "")

    def _summary(self, job: ImportJob) -> None:
        counts = job.counts
        self.stdout.write(
            _("Rows: %(rows)s; to create: %(create)s; to update: %(update)s; unchanged: %(unchanged)s.")
            % {key: counts.get(key, 0) for key in ("rows", "create", "update", "unchanged")}
        )
        for item in job.preview.get("updates", []):
            for change in item["changes"]:
                self.stdout.write(
                    _("  row %(row)s, %(login)s: %(column)s: «%(old)s» → «%(new)s»")
                    % {
                        "row": item["row"],
                        "login": item["login"],
                        "column": change["column"],
                        "old": change["old"] or "—",
                        "new": change["new"] or "—",
                    }
                )
