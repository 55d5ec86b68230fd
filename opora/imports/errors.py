"""Errors are data: each problem found in a file says where it is (file, sheet, row, column) and what."""

from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from opora.imports.readers import ReaderError

NOT_APPLICABLE = "—"


@dataclass(frozen=True)
class RowError:
    """One problem in a file. `row` and `column` are empty when the problem concerns the whole file.

    `school` is set when the problem is a school missing from the register, for the job page to offer
    mapping it: {"identifier": what the file gives, "kind": a SchoolAlias.Kind, "name": the school's name
    in the file, "suggestions": [pks of similar schools in the user's scope]}.
    """

    file: str
    sheet: str | None
    row: int | None
    column: str
    message: str
    school: dict[str, Any] | None = field(default=None, hash=False)

    def __str__(self) -> str:
        return render_row_error(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        # Without `school` when empty: the problems stored before it existed look the same as new ones.
        data = asdict(self)
        if data["school"] is None:
            del data["school"]
        return data

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
