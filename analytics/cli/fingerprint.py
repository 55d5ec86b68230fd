"""The input fingerprint: the same data gives the same hash, whatever its format or row order."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping

import polars as pl
import polars.selectors as cs

from analytics.cli.common import TABLES
from analytics.schema import SCHEMAS

# --- the fingerprint ---------------------------------------------------------------------------------


def table_fingerprint(frame: pl.DataFrame, table: str) -> str:
    """SHA-256 of a canonical table's content: independent of row order, file format and file split.

    An optional column that holds only nulls is left out, as an absent one is: `validate_frame` adds every
    absent optional column as nulls, so a column added to the schema later does not change the fingerprint
    of the files written before it."""
    schema = SCHEMAS[table]
    empty = {
        column.name
        for column in schema.columns
        if not column.required
        and (column.name not in frame.columns or frame[column.name].null_count() == frame.height)
    }
    canonical = (
        frame.select(name for name in schema.polars_schema.names() if name not in empty)
        .with_columns(cs.categorical().cast(pl.String), cs.enum().cast(pl.String))
        .sort(list(schema.key), nulls_last=True)
    )
    buffer = io.BytesIO()
    canonical.write_csv(buffer)
    return hashlib.sha256(table.encode() + b"\n" + buffer.getvalue()).hexdigest()


def input_fingerprint(frames: Mapping[str, pl.DataFrame]) -> str:
    """SHA-256 over the fingerprints of the tables given (an empty table counts as absent)."""
    digest = hashlib.sha256()
    for table in TABLES:
        frame = frames.get(table)
        if frame is not None and frame.height:
            digest.update(f"{table} {table_fingerprint(frame, table)}\n".encode())
    return digest.hexdigest()
