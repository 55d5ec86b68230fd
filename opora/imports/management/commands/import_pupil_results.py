"""`opora import-pupil-results PATH... --user LOGIN [--dry-run]`: pupil results files in bulk.

Every .csv or .xlsx named, or found in a named folder, becomes its own import job of the canonical pupil
results format (docs/formats/pupil-results.md; `opora.imports.batch`). .xls files are collected too, so
that the user is told to save them as XLSX rather than have them silently skipped.
"""

from django.utils.translation import gettext_lazy

from opora.imports.batch import PupilResultsBatchCommand
from opora.imports.models import ImportJob


class Command(PupilResultsBatchCommand):
    help = (
        "Import pupil results files in Opora's canonical format (.csv or .xlsx; folders are searched "
        "recursively): each file is checked and committed on its own unless it has errors."
    )
    kind = ImportJob.Kind.PUPIL_RESULTS.value
    suffixes = frozenset({".csv", ".xlsx", ".xls"})
    not_a_file = gettext_lazy("Not a .csv or .xlsx file: %(path)s")
    none_found = gettext_lazy("No .csv or .xlsx files found.")
