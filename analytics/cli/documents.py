"""The methodology file and the previous cycle's lists an `identify` run reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from analytics.cli.common import (
    FORMATS,
    CliError,
    Progress,
    schools_text,
)
from analytics.cli.reading import read_table_file
from analytics.identify import LIST_METHODS
from analytics.methodology import SECTIONS, Methodology
from analytics.settings_io import SettingsError

# --- the methodology ---------------------------------------------------------------------------------


def load_methodology(path: Path | None) -> tuple[Methodology, dict[str, Any]]:
    """The methodology of a JSON file (as `Methodology.to_dict()`, or a document with a «methodology»
    object: what `opora-analytics methodology` and run.json write), or the defaults when no file is given."""
    if path is None:
        methodology = Methodology()
        return methodology, methodology.to_dict()
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise CliError(f"Файл методики не найден: {path}") from None
    except OSError as error:
        raise CliError(f"{path}: файл методики не читается ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: файл методики должен быть в кодировке UTF-8") from None
    except json.JSONDecodeError as error:
        raise CliError(
            f"{path}: это не JSON — строка {error.lineno}, столбец {error.colno}: {error.msg}"
        ) from None
    if not isinstance(data, dict):
        raise CliError(f"{path}: методика должна быть объектом JSON {{…}}")
    wrapped = data.get("methodology")
    if isinstance(wrapped, dict) and not any(section in data for section in SECTIONS):
        data = wrapped
    try:
        methodology = Methodology.from_dict(data)
    except SettingsError as error:
        lines = "\n".join(f"  - {problem}" for problem in error.problems)
        raise CliError(f"Ошибки в методике {path} (параметр: что не так):\n{lines}") from None
    return methodology, methodology.to_dict()


def methodology_document(methodology: Methodology) -> dict[str, Any]:
    """The methodology and, for reading, every parameter's label, default and source."""
    parameters: dict[str, Any] = {}
    for parameter in Methodology.parameters():
        entry: dict[str, Any] = {"label": parameter.label, "default": parameter.default}
        if parameter.choices:
            entry["choices"] = list(parameter.choices)
        if parameter.source:
            entry["source"] = parameter.source
        parameters[parameter.name] = entry
    return {
        "comment": (
            "Методика Опоры. Меняйте значения в разделе «methodology»; раздел «parameters» — справка "
            "(подпись, значение по умолчанию, источник) и при чтении не используется. Отсутствующий "
            "параметр принимает значение по умолчанию."
        ),
        "sections": SECTIONS,
        "methodology": methodology.to_dict(),
        "parameters": parameters,
    }


# --- previous lists ----------------------------------------------------------------------------------


def load_previous_lists(directory: Path, year: int, progress: Progress) -> dict[str, pl.DataFrame]:
    """The lists written by the previous cycle's run: list kind → school_id, cycles_without_rule."""
    if not directory.is_dir():
        raise CliError(f"Папка со списками прошлого цикла не найдена: {directory}")
    run = directory / "run.json"
    if run.is_file():
        try:
            previous_year = json.loads(run.read_text(encoding="utf-8")).get("year")
        except (OSError, ValueError, AttributeError):
            previous_year = None
        if isinstance(previous_year, int) and previous_year != year - 1:
            progress.say(
                f"  внимание: списки в {directory} получены за {previous_year} г., а не за {year - 1} г."
            )
    lists: dict[str, pl.DataFrame] = {}
    for kind in LIST_METHODS:
        path = next(
            (
                directory / f"lists_{kind}.{fmt}"
                for fmt in FORMATS
                if (directory / f"lists_{kind}.{fmt}").is_file()
            ),
            None,
        )
        if path is None:
            progress.say(f"  списка lists_{kind} в {directory} нет: считается, что он был пуст")
            continue
        frame = read_table_file(path)
        missing = [name for name in ("school_id", "cycles_without_rule") if name not in frame.columns]
        if missing:
            raise CliError(f"{path}: нет столбца {', '.join(missing)}")
        if "member" in frame.columns:
            member = frame["member"].cast(pl.String).str.to_lowercase()
            frame = frame.filter(member.is_in(["true", "1", "да"]) | member.is_null())
        try:
            lists[kind] = frame.select(
                pl.col("school_id").cast(pl.String),
                pl.col("cycles_without_rule").cast(pl.String).str.strip_chars().cast(pl.Int16),
            )
        except pl.exceptions.PolarsError:
            raise CliError(f"{path}: столбец cycles_without_rule должен содержать целые числа") from None
        progress.say(f"  {path.name}: {schools_text(lists[kind].height)}")
    if not lists:
        raise CliError(f"В папке {directory} нет файлов lists_<вид списка> прошлого цикла")
    return lists
