"""The pupils' rows of the form, read and checked cell by cell; the reader's state and problems, which the
sheet reader (`sheet.SheetReader`) extends with the rows above the table."""

from django.utils.translation import gettext as _

from opora.imports.errors import RowError
from opora.imports.fis_oko.layout import CLASS, CODE, JOURNAL_MARK, LOGIN, MARK, PRIMARY_SCORE, VARIANT, fold
from opora.imports.fis_oko.parse.cells import (
    EMPTY_MARKS,
    EMPTY_SCORES,
    MARKS,
    WHOLE_MARKS,
    cell_number,
    cents,
    filled,
    plain,
    text_at,
    text_decimal,
)
from opora.imports.fis_oko.parse.model import (
    CODE_LIMIT,
    PRIMARY_LIMIT,
    TEXT_LIMIT,
    Number,
    PupilLine,
    TaskColumn,
)
from opora.imports.readers import cell_text


class RowsReader:
    """Reads the pupils' rows of a sheet as calamine gives its cells: the numbers as numbers (a float of the
    sheet is never turned into text only to be parsed back); every problem is collected, with its place."""

    def __init__(self, file_name: str, sheet: str, grid: list[list[object]]) -> None:
        self.file_name = file_name
        self.sheet = sheet
        self.grid = grid
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []

    def _problem(self, row: int | None, column: str, message: str, *, warning: bool = False) -> None:
        problem = RowError(self.file_name, self.sheet, row, column, message)
        (self.warnings if warning else self.errors).append(problem)

    def _pupils(
        self, header_row: int, index: dict[str, int], tasks: list[TaskColumn], login: str | None
    ) -> list[PupilLine]:
        pupils: list[PupilLine] = []
        first_row_of: dict[str, int] = {}
        code_at, class_at, variant_at = index[CODE], index[CLASS], index.get(VARIANT)
        login_at, primary_at = index.get(LOGIN), index[PRIMARY_SCORE]
        mark_at, journal_at = index[MARK], index.get(JOURNAL_MARK)
        # A whole score is within a task's maximum when within its whole part: compared as ints, not with the
        # Decimal maximum (a float against a Decimal costs ~4 times as much, for every score of the file).
        whole_max = [(task, task.index, int(task.max_score)) for task in tasks]
        for number in range(header_row + 1, len(self.grid) + 1):
            values = self.grid[number - 1]
            width = len(values)
            if not (code_at < width and filled(values[code_at])) and not any(map(filled, values)):
                continue
            errors_before = len(self.errors)
            code = text_at(values, width, code_at)
            if not code:
                self._problem(number, CODE, _("the participant code is empty"))
            elif len(code) > CODE_LIMIT:
                self._problem(number, CODE, _("the participant code is too long"))
            elif (first := first_row_of.setdefault(code, number)) != number:
                self._problem(
                    number,
                    CODE,
                    _("the participant code %(code)s already appears in row %(row)s")
                    % {"code": code, "row": first},
                )
            row_login = text_at(values, width, login_at)
            if row_login and login and row_login != login and fold(row_login) != login:
                self._problem(
                    number,
                    LOGIN,
                    _("the row belongs to the school %(row)s, the file to %(file)s: one school per file")
                    % {"row": row_login, "file": login},
                )
            class_name, variant = text_at(values, width, class_at), text_at(values, width, variant_at)
            for name, given in ((CLASS, class_name), (VARIANT, variant)):
                if len(given) > TEXT_LIMIT:
                    self._problem(
                        number,
                        name,
                        _("the text is longer than %(limit)s characters") % {"limit": TEXT_LIMIT},
                    )
            scores: list[Number | None] = []
            for task, at, most in whole_max:
                value = values[at] if at < width else ""
                # Nearly every cell: a whole number within the task's range, kept as calamine's number.
                if type(value) is float and value.is_integer() and 0 <= value <= most:
                    scores.append(int(value))
                else:
                    scores.append(self._score(number, value, task))
            primary = self._primary(number, values[primary_at] if primary_at < width else "", scores)
            mark = self._mark_at(number, MARK, values, width, mark_at)
            journal = self._mark_at(number, JOURNAL_MARK, values, width, journal_at)
            if len(self.errors) == errors_before:
                pupils.append(
                    PupilLine(number, code, class_name, variant, tuple(scores), primary, mark, journal)
                )
        return pupils

    def _score(self, number: int, value: object, task: TaskColumn) -> Number | None:
        if isinstance(value, float) and value.is_integer():  # nearly every cell: a whole number
            score: Number | None = int(value)
            text = ""
        else:
            text = (value if isinstance(value, str) else cell_text(value)).strip()
            if text in EMPTY_SCORES or fold(text) in EMPTY_SCORES:
                return None
            score = cell_number(value)
            if score is None:
                self._problem(
                    number,
                    task.header,
                    _("the score must be a number, «X» or «-», got «%(value)s»") % {"value": text},
                )
                return None
        assert score is not None
        if score < 0:
            self._problem(
                number,
                task.header,
                _("the score cannot be negative, got «%(value)s»") % {"value": text or cell_text(value)},
            )
        elif score > task.max_score:
            self._problem(
                number,
                task.header,
                _("the score %(score)s is above the task's maximum %(max)s")
                % {"score": text or cell_text(value), "max": plain(task.max_score)},
            )
        return score

    def _primary(self, number: int, value: object, scores: list[Number | None]) -> Number | None:
        total: Number = sum([s for s in scores if s is not None], 0)
        primary: Number | None
        if type(value) is float and value.is_integer() and value >= 0:  # nearly every row
            primary, text = int(value), ""
        else:
            text = (value if isinstance(value, str) else cell_text(value)).strip()
            if not text or fold(text) in EMPTY_SCORES:
                self._problem(
                    number,
                    PRIMARY_SCORE,
                    _("the primary score is empty; the sum of the task scores %(sum)s is used")
                    % {"sum": plain(total)},
                    warning=True,
                )
                return self._kept(number, plain(total), total)
            primary = cell_number(value)
            if primary is None or primary < 0:
                self._problem(
                    number,
                    PRIMARY_SCORE,
                    _("the primary score must be a number, got «%(value)s»") % {"value": text},
                )
                return None
        if primary > PRIMARY_LIMIT:
            return self._kept(number, text or cell_text(value), primary)
        if primary != total:
            self._problem(
                number,
                PRIMARY_SCORE,
                _("the primary score %(primary)s differs from the sum of the task scores %(sum)s")
                % {"primary": text or cell_text(value), "sum": plain(total)},
                warning=True,
            )
        return cents(primary)

    def _kept(self, number: int, text: str, primary: Number) -> Number | None:
        """The primary score as stored, or None with an error when it is past what Opora keeps."""
        if primary > PRIMARY_LIMIT:
            self._problem(
                number,
                PRIMARY_SCORE,
                _("the primary score %(value)s is too large: Opora keeps primary scores up to %(limit)s")
                % {"value": text, "limit": plain(PRIMARY_LIMIT)},
            )
            return None
        return cents(primary)

    def _mark_at(
        self, number: int, column: str, values: list[object], width: int, position: int | None
    ) -> int | None:
        if position is not None and position < width:
            value = values[position]
            if type(value) is float and value in WHOLE_MARKS:  # nearly every row: calamine's 5.0
                return WHOLE_MARKS[value]
        return self._mark(number, column, text_at(values, width, position))

    def _mark(self, number: int, column: str, text: str) -> int | None:
        if text in MARKS:
            return MARKS[text]
        if not text:
            return None
        if fold(text) in EMPTY_MARKS:
            return None
        value = text_decimal(text)
        if value is None or value not in (2, 3, 4, 5):
            self._problem(
                number,
                column,
                _("a mark must be 2, 3, 4 or 5 (or «нет отметки»), got «%(value)s»") % {"value": text},
            )
            return None
        return int(value)
