"""ФИС ОКО forms: the ВПР «Индивидуальные результаты» workbook (XLSX, or a ZIP of them) → pupil results."""

from opora.imports.fis_oko.importer import VprResultsImporter, vpr_results_validate
from opora.imports.fis_oko.layout import VprPupil, VprTask, write_vpr_individual_results

__all__ = [
    "VprPupil",
    "VprResultsImporter",
    "VprTask",
    "vpr_results_validate",
    "write_vpr_individual_results",
]
