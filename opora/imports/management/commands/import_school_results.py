"""`opora import-school-results PATH... --user LOGIN [--dry-run]`: school-level results files in bulk.

ВПР «Статистика по отметкам», regional ЕГЭ/ОГЭ tables and the canonical school-level format
(docs/formats/school-results.md). Every .csv, .xlsx or .xls named, or found in a named folder, becomes its
own import job (`opora.imports.batch`).
"""

from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.imports.batch import BatchImportCommand
from opora.imports.models import ImportJob


class Command(BatchImportCommand):
    help = (
        "Import results per school (.csv, .xlsx, .xls; folders are searched recursively): each file is "
        "checked and committed on its own unless it has errors."
    )
    kind = ImportJob.Kind.SCHOOL_RESULTS.value
    suffixes = frozenset({".csv", ".xlsx", ".xls"})
    not_a_file = gettext_lazy("Not a .csv, .xlsx or .xls file: %(path)s")
    none_found = gettext_lazy("No .csv, .xlsx or .xls files found.")
    summary = gettext_lazy(
        "Files processed: %(files)s; committed: %(committed)s; unchanged: %(unchanged)s; "
        "rejected: %(rejected)s; school results written: %(written)s; time: %(seconds)s s."
    )

    def written(self, job: ImportJob) -> int:
        return int(job.counts.get("created", 0)) + int(job.counts.get("updated", 0))

    def committed_line(self, path: Path, job: ImportJob) -> str:
        summary = _("school results created: %(created)s, replaced: %(updated)s") % {
            "created": job.counts.get("created", 0),
            "updated": job.counts.get("updated", 0),
        }
        return _("%(path)s: committed (import #%(job)s): %(summary)s") % {
            "path": path,
            "job": job.pk,
            "summary": summary,
        }
