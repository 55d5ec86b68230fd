"""`opora import-context PATH... --user LOGIN [--dry-run]`: social passport files in bulk.

Every .csv, .xlsx or .xls named, or found in a named folder, becomes its own import job
(`opora.imports.batch`).
"""

from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.imports.batch import BatchImportCommand
from opora.imports.models import ImportJob


class Command(BatchImportCommand):
    help = (
        "Import social passport files (.csv, .xlsx, .xls; folders are searched recursively): each file "
        "is checked and committed on its own unless it has errors."
    )
    kind = ImportJob.Kind.CONTEXT.value
    suffixes = frozenset({".csv", ".xlsx", ".xls"})
    not_a_file = gettext_lazy("Not a .csv, .xlsx or .xls file: %(path)s")
    none_found = gettext_lazy("No .csv, .xlsx or .xls files found.")
    summary = gettext_lazy(
        "Files processed: %(files)s; committed: %(committed)s; unchanged: %(unchanged)s; "
        "rejected: %(rejected)s; time: %(seconds)s s."
    )

    def committed_line(self, path: Path, job: ImportJob) -> str:
        summary = _("passports created: %(created)s, updated: %(updated)s") % {
            "created": job.counts.get("create", 0),
            "updated": job.counts.get("update", 0),
        }
        return _("%(path)s: committed (import #%(job)s): %(summary)s") % {
            "path": path,
            "job": job.pk,
            "summary": summary,
        }
