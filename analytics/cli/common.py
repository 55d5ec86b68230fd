"""Constants, the user's errors and the progress messages of `opora-analytics`."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from analytics.text import number_text, plural

PROG: Final = "opora-analytics"
#: The tables a results folder may hold, in the order they are read and fingerprinted.
TABLES: Final = ("school_areas", "pupil_results", "task_scores", "school_aggregates", "school_context")
FORMATS: Final = ("parquet", "csv", "xlsx")
READABLE: Final = (".parquet", ".csv", ".xlsx")
EXIT_OK: Final = 0
EXIT_INTERNAL: Final = 1
EXIT_INPUT: Final = 2
#: Rows a worksheet holds, the header included.
XLSX_MAX_ROWS: Final = 1_048_576

LIST_TITLES: Final = {
    "low_results": "ШНОР (низкие результаты)",
    "shnsu": "ШНСУ (неблагоприятные социальные условия)",
    "resilient": "резильентные школы",
    "low_in_good_context": "низкие результаты в благоприятном контексте",
}
STATUS_TITLES: Final = {"flagged": "в списке", "cleared": "нет", "insufficient_data": "недостаточно данных"}


class CliError(Exception):
    """A problem with the user's inputs: its Russian message is all the user sees (exit code 2)."""


# --- messages ----------------------------------------------------------------------------------------


@dataclass
class Progress:
    """Progress lines on stderr: what is read, how many rows, how long each step took."""

    quiet: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def say(self, message: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"{message}\n")
            sys.stderr.flush()

    @contextmanager
    def step(self, name: str, title: str) -> Iterator[None]:
        self.say(f"{title}…")
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.timings[name] = round(elapsed, 3)
        self.say(f"  {title}: {seconds_text(elapsed)}")


def seconds_text(value: float) -> str:
    return f"{number_text(value, 2)}\u00a0с"


def rows_text(count: int) -> str:
    return f"{number_text(count)} {plural(count, 'строка', 'строки', 'строк')}"


def schools_text(count: int) -> str:
    return f"{number_text(count)} {plural(count, 'школа', 'школы', 'школ')}"


def _out(message: str) -> None:
    sys.stdout.write(f"{message}\n")
