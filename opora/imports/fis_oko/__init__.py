"""ФИС ОКО forms: the ВПР «Индивидуальные результаты» workbook (XLSX, or a ZIP of them) → pupil results."""

from typing import TYPE_CHECKING, Any

from opora.imports.fis_oko.layout import VprPupil, VprTask, write_vpr_individual_results

if TYPE_CHECKING:
    from opora.imports.fis_oko.importer import VprResultsImporter, vpr_results_validate

__all__ = [
    "VprPupil",
    "VprResultsImporter",
    "VprTask",
    "vpr_results_validate",
    "write_vpr_individual_results",
]


def __getattr__(name: str) -> Any:
    # Imported on first use: the importer needs Django's models, and the reading workers (`pool`) import
    # this package before Django is set up in them.
    if name in {"VprResultsImporter", "vpr_results_validate"}:
        from opora.imports.fis_oko import importer

        return getattr(importer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
