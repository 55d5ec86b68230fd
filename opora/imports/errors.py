"""Errors are data: each problem found in a file says where it is (file, sheet, row, column) and what."""

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from opora.imports.readers import ReaderError

NOT_APPLICABLE = "—"


@dataclass(frozen=True)
class RowError:
    """One problem in a file. `row` and `column` are empty when the problem concerns the whole file."""

    file: str
    sheet: str | None
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        return render_row_error(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_reader_error(cls, error: ReaderError) -> "RowError":
        return cls(error.file_name, error.sheet, None, "", error.message)


def render_row_error(error: dict[str, Any]) -> str:
    """«register.csv, лист —, строка 7, столбец «ИНН»: ИНН должен состоять из 10 цифр, а указано «12345»»."""
    column = error.get("column") or ""
    return _("%(file)s, sheet %(sheet)s, row %(row)s, column %(column)s: %(message)s") % {
        "file": error.get("file") or NOT_APPLICABLE,
        "sheet": f"«{error['sheet']}»" if error.get("sheet") else NOT_APPLICABLE,
        "row": error.get("row") or NOT_APPLICABLE,
        "column": f"«{column}»" if column else NOT_APPLICABLE,
        "message": error.get("message", ""),
    }
