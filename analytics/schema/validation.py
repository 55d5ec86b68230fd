"""`validate_frame`: a frame checked against a canonical table and cast to it, every problem found at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import polars as pl

from analytics.schema.definitions import (
    _FALSE_TOKENS,
    _TRUE_TOKENS,
    NULL_TOKENS,
    SCHEMAS,
    Column,
    TableSchema,
)

# --- validation --------------------------------------------------------------------------------------

ProblemKind = Literal["missing", "dtype", "cast", "null", "domain", "row", "duplicate"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a frame: which column (None for the whole row), what kind, and how many rows."""

    column: str | None
    kind: ProblemKind
    message: str
    rows: int | None = None
    examples: tuple[str, ...] = ()
    #: Where the first rows with the problem are: 0-based positions in the frame (a reader that knows how
    #: the frame was read turns them into the rows of its file).
    positions: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = self.column if self.column is not None else "(row)"
        examples = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        at = f" at rows {', '.join(str(p + 1) for p in self.positions)}" if self.positions else ""
        return f"{where}: {self.message}{examples}{at}"


class FrameValidationError(ValueError):
    """A frame does not fit a canonical schema; `problems` lists every problem found, not only the first."""

    def __init__(self, schema_name: str, problems: list[Problem]) -> None:
        self.schema_name = schema_name
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"frame does not fit the {schema_name!r} schema, problems found: {len(self.problems)}\n{lines}"
        )


@dataclass(frozen=True)
class _Cast:
    """How to bring a source column to its target dtype: the (non-strict) cast, and which rows it loses."""

    value: pl.Expr
    lossy: pl.Expr | None


_EXAMPLES = 3


def _is_text(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.String | pl.Categorical | pl.Enum)


def _text_to_number(source: pl.Expr, target: pl.DataType) -> _Cast:
    text = source.cast(pl.String).str.strip_chars()
    given = text.is_not_null() & ~text.is_in(list(NULL_TOKENS))
    # A decimal comma is how Russian spreadsheets write 12,5.
    number = pl.when(given).then(text.str.replace(",", ".", literal=True)).cast(pl.Float64, strict=False)
    if target.is_integer():
        value = number.cast(target, strict=False)
        lossy = given & (value.is_null() | (value.cast(pl.Float64) != number))
        return _Cast(value, lossy)
    return _Cast(number.cast(target, strict=False), given & number.is_null())


def _plan_cast(name: str, source: pl.DataType, target: pl.DataType) -> _Cast | None:
    """A safe cast from `source` to `target`, or None when there is none (the dtype is simply wrong)."""
    column = pl.col(name)
    if isinstance(source, pl.Null):
        return _Cast(column.cast(target), None)
    if target.is_numeric():
        if _is_text(source):
            return _text_to_number(column, target)
        if not (source.is_numeric() or source.is_decimal()):
            return None
        value = column.cast(target, strict=False)
        if target.is_integer() and not source.is_integer():
            # Float → Int truncates 2.5 to 2: only whole numbers are safe.
            return _Cast(value, column.is_not_null() & (value.is_null() | (value.cast(pl.Float64) != column)))
        if target.is_integer():
            return _Cast(value, column.is_not_null() & value.is_null())  # overflow, e.g. 300 → Int8
        return _Cast(value, None)
    if isinstance(target, pl.String):
        if _is_text(source) or source.is_integer():
            return _Cast(column.cast(pl.String), None)
        return None  # a float label (1.0 for task «1») or a date is not a safe id
    if isinstance(target, pl.Categorical):
        if _is_text(source) or source.is_integer():
            return _Cast(column.cast(pl.String).cast(target), None)
        return None
    if isinstance(target, pl.Enum):
        if not _is_text(source):
            return None
        text = column.cast(pl.String).str.strip_chars()
        value = text.cast(target, strict=False)
        return _Cast(value, text.is_not_null() & value.is_null())
    if isinstance(target, pl.Boolean):
        if source.is_integer():
            value = pl.when(column == 1).then(True).when(column == 0).then(False).otherwise(None)
            return _Cast(value, column.is_not_null() & value.is_null())
        if _is_text(source):
            text = column.cast(pl.String).str.strip_chars().str.to_lowercase()
            given = text.is_not_null() & ~text.is_in(list(NULL_TOKENS))
            value = (
                pl.when(text.is_in(list(_TRUE_TOKENS)))
                .then(True)
                .when(text.is_in(list(_FALSE_TOKENS)))
                .then(False)
                .otherwise(None)
            )
            return _Cast(value, given & value.is_null())
        return None
    return None


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def validate_frame(
    frame: FrameT,
    schema_name: str,
    *,
    check_values: bool = True,
    extra_columns: Literal["drop", "keep"] = "drop",
) -> FrameT:
    """Check a frame against a canonical schema, cast it where safe, and return it in canonical form.

    Missing required columns, impossible dtypes, values a cast would lose (2.5 as a mark, «abc» as a score),
    nulls where none are allowed, values out of their domain, broken row rules and duplicate keys are all
    collected and raised together as one `FrameValidationError`. Absent optional columns are added as nulls;
    text cells in `NULL_TOKENS` become null; a decimal comma is read as a point.

    The column and dtype checks read only the schema. The value checks need one pass over the data: for a
    LazyFrame that pass is a separate scan; `check_values=False` skips it, and the returned LazyFrame then
    casts strictly, so an unsafe value fails at collect time instead of passing silently.

    >>> frame = pl.DataFrame({"school_id": ["edu1"], "municipality_id": [7]})
    >>> validate_frame(frame, "school_areas").schema
    Schema([('school_id', String), ('municipality_id', String), ('region_id', String)])
    """
    try:
        schema = SCHEMAS[schema_name]
    except KeyError:
        raise ValueError(f"unknown schema {schema_name!r}; known: {', '.join(SCHEMAS)}") from None

    lazy = frame.lazy()
    actual = lazy.collect_schema()
    problems: list[Problem] = []
    casts: dict[str, _Cast] = {}
    absent: list[Column] = []
    for column in schema.columns:
        if column.name not in actual:
            if column.required:
                problems.append(Problem(column.name, "missing", "required column is missing"))
            else:
                absent.append(column)
            continue
        source = actual[column.name]
        if source == column.dtype:
            casts[column.name] = _Cast(pl.col(column.name), None)
            continue
        plan = _plan_cast(column.name, source, column.dtype)
        if plan is None:
            problems.append(Problem(column.name, "dtype", f"has dtype {source}, expected {column.dtype}"))
        else:
            casts[column.name] = plan
    if problems:
        raise FrameValidationError(schema.name, problems)

    if check_values:
        problems = _value_problems(lazy, schema, casts, absent)
        if problems:
            raise FrameValidationError(schema.name, problems)

    canonical = [column.name for column in schema.columns]
    extras = [name for name in actual.names() if name not in canonical] if extra_columns == "keep" else []
    result = lazy.select(
        *[
            _strict(casts[column.name], column)
            if column.name in casts
            else pl.lit(None, column.dtype).alias(column.name)
            for column in schema.columns
        ],
        *extras,
    )
    if isinstance(frame, pl.DataFrame):
        return result.collect()
    return result


def _strict(cast: _Cast, column: Column) -> pl.Expr:
    """The cast for the returned frame: a row the cast would lose fails at collect time, never passes."""
    if cast.lossy is None:
        return cast.value.alias(column.name)
    # Polars has no "raise" expression: a strict cast of an explanatory text is the failure, and the text
    # is what the error message shows.
    marker = pl.when(cast.lossy).then(
        pl.lit(
            f"<{column.name}: a value cannot be cast to {column.dtype} without loss; "
            "validate_frame(check_values=True) lists them>"
        )
    )
    failure = marker.cast(column.dtype) if isinstance(column.dtype, pl.Enum) else marker.cast(pl.Float64)
    return pl.when(cast.lossy).then(failure.cast(column.dtype)).otherwise(cast.value).alias(column.name)


def _value_problems(
    lazy: pl.LazyFrame, schema: TableSchema, casts: dict[str, _Cast], absent: list[Column]
) -> list[Problem]:
    """Every value-level problem of the frame, found in one pass, with the positions of its first rows."""
    lossy_flags = {f"__lossy__{name}": cast.lossy for name, cast in casts.items() if cast.lossy is not None}
    sources = {
        f"__source__{name.removeprefix('__lossy__')}": pl.col(name.removeprefix("__lossy__"))
        for name in lossy_flags
    }
    cast_frame = (
        lazy.with_columns(**lossy_flags, **sources)
        .with_columns(
            *[cast.value.alias(name) for name, cast in casts.items()],
            *[pl.lit(None, column.dtype).alias(column.name) for column in absent],
        )
        # The second and later rows of a key: a column, computed once for both its count and its rows.
        .with_columns(__repeat__=~pl.struct(list(schema.key)).is_first_distinct())
    )
    measures: dict[str, pl.Expr] = {}

    def measure(label: str, wrong: pl.Expr, example: pl.Expr | None = None) -> None:
        measures[f"{label}|n"] = wrong.sum()
        measures[f"{label}|at"] = wrong.arg_true().head(_EXAMPLES).implode()
        if example is not None:
            measures[f"{label}|ex"] = example.filter(wrong).head(_EXAMPLES).cast(pl.String).implode()

    for flag in lossy_flags:
        name = flag.removeprefix("__lossy__")
        measure(f"cast|{name}", pl.col(flag), pl.col(f"__source__{name}"))
    for column in schema.columns:
        if column.name not in casts:
            continue
        value = pl.col(column.name)
        if not column.nullable:
            # Only nulls that were null in the source: cast losses are reported above.
            lost = f"__lossy__{column.name}"
            lost_in_cast = pl.col(lost) if lost in lossy_flags else pl.lit(False)
            measure(f"null|{column.name}", value.is_null() & ~lost_in_cast)
        if column.domain is not None:
            bad = value.is_not_null() & ~column.domain.valid(value).fill_null(False)
            measure(f"domain|{column.name}", bad, value)
    for index, rule in enumerate(schema.row_checks):
        measure(f"row|{index}", (~rule.valid).fill_null(False))
    measure("duplicate|", pl.col("__repeat__"))
    summary = cast_frame.select(**measures).collect().row(0, named=True)

    problems: list[Problem] = []
    for label, count in summary.items():
        kind, name, what = label.split("|")
        if what != "n" or not count:
            continue
        examples = tuple(str(e) for e in summary.get(f"{kind}|{name}|ex") or ())
        positions = tuple(int(p) for p in summary.get(f"{kind}|{name}|at") or ())
        if kind == "cast":
            target = schema.column(name).dtype
            message = f"{count} values cannot be read as {target} without loss"
            problems.append(Problem(name, "cast", message, count, examples, positions))
        elif kind == "null":
            message = f"{count} nulls in a column that allows none"
            problems.append(Problem(name, "null", message, count, positions=positions))
        elif kind == "domain":
            column = schema.column(name)
            message = f"{count} values outside {column.domain.doc if column.domain else 'the domain'}"
            problems.append(Problem(name, "domain", message, count, examples, positions))
        elif kind == "row":
            rule = schema.row_checks[int(name)]
            problems.append(Problem(None, "row", f"{count} rows: {rule.message}", count, positions=positions))
        else:
            message = f"{count} rows repeat the key ({', '.join(schema.key)})"
            problems.append(Problem(None, "duplicate", message, count, positions=positions))
    return problems
