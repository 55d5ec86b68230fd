"""`opora import-results PATH... --user LOGIN [--dry-run] [--kind vpr_results]`: ВПР result files in bulk.

Every .xlsx or .zip named, or found in a named folder, becomes its own import job (`opora.imports.batch`).
"""

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext_lazy

from opora.imports.batch import PupilResultsBatchCommand
from opora.imports.models import ImportJob

RESULTS_KINDS = [ImportJob.Kind.VPR_RESULTS.value]


class Command(PupilResultsBatchCommand):
    help = (
        "Import results files (.xlsx, or .zip of them; folders are searched recursively): each file is "
        "checked and committed on its own unless it has errors."
    )
    kind = ImportJob.Kind.VPR_RESULTS.value
    suffixes = frozenset({".xlsx", ".zip"})
    not_a_file = gettext_lazy("Not an .xlsx or .zip file: %(path)s")
    none_found = gettext_lazy("No .xlsx or .zip files found.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--kind", choices=RESULTS_KINDS, default=self.kind)

    def job_kind(self, options: dict[str, Any]) -> str:
        return str(options["kind"])
