"""Writing the outputs of a run: Parquet, CSV or XLSX, and JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from analytics.cli.common import (
    XLSX_MAX_ROWS,
    CliError,
    rows_text,
)
from analytics.identify import Identification

# --- writing -----------------------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, pl.DataFrame):
        return _json_safe(value.to_dicts())
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with only scalar columns, for CSV and XLSX: a list of values becomes «a, b», a nested
    value JSON, a category its text; NaN becomes an empty cell."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.List) and not dtype.inner.is_nested():
            columns.append(column.list.eval(pl.element().cast(pl.String)).list.join(", "))
        elif dtype.is_nested():
            columns.append(
                column.map_elements(
                    lambda value: json.dumps(_json_safe(value), ensure_ascii=False),
                    return_dtype=pl.String,
                    skip_nulls=True,
                )
            )
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            columns.append(column.cast(pl.String))
        elif dtype.is_float():
            columns.append(column.fill_nan(None))
        elif dtype.is_temporal() or dtype.is_decimal() or isinstance(dtype, pl.Object):
            columns.append(column.cast(pl.String))
        else:
            columns.append(column)
    return frame.select(columns)


def write_table(frame: pl.DataFrame, directory: Path, name: str, fmt: str) -> Path:
    """One output table: Parquet as is; CSV for Russian Excel («;», decimal comma, UTF-8 with BOM); XLSX."""
    path = directory / f"{name}.{fmt}"
    if fmt == "parquet":
        frame.write_parquet(path, compression="zstd", statistics=False)
    elif fmt == "csv":
        _flat(frame).write_csv(path, separator=";", include_bom=True, decimal_comma=True)
    else:
        _write_xlsx(_flat(frame), path, sheet=name)
    return path


def _write_xlsx(frame: pl.DataFrame, path: Path, *, sheet: str) -> None:
    from openpyxl import Workbook  # only an XLSX output needs it

    if frame.height + 1 > XLSX_MAX_ROWS:
        raise CliError(
            f"{path.name}: {rows_text(frame.height)} не помещаются на лист Excel; "
            "выберите --format parquet или csv"
        )
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append(frame.columns)
    for row in frame.iter_rows():
        worksheet.append(row)
    workbook.save(path)


def write_outputs(result: Identification, directory: Path, fmt: str) -> list[Path]:
    """findings, details_<name>, lists_<kind> in the chosen format, and models.json."""
    written = [write_table(result.findings, directory, "findings", fmt)]
    written += [
        write_table(frame, directory, f"details_{name}", fmt) for name, frame in result.details.items()
    ]
    written += [write_table(frame, directory, f"lists_{kind}", fmt) for kind, frame in result.lists.items()]
    models = directory / "models.json"
    models.write_text(_json_text({name: _json_safe(model) for name, model in result.models.items()}), "utf-8")
    written.append(models)
    return written


def _json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _version() -> str:
    try:
        return metadata.version("opora")
    except metadata.PackageNotFoundError:
        return "unknown"
