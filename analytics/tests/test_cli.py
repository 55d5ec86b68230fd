"""`opora-analytics` on the worked example of docs/analytics (the committed CSV files)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.cli import main, read_table_file
from analytics.findings import FINDING_COLUMNS
from analytics.identify import LIST_METHODS, identify
from analytics.lists import MEMBERSHIP_SCHEMA
from analytics.methodology import Methodology
from analytics.tables import identify_inputs

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "analytics" / "example"
YEAR = 2025


def assert_close(actual: object, expected: object) -> None:
    if isinstance(expected, float) and isinstance(actual, float):
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), (actual, expected)
    elif isinstance(expected, dict) and isinstance(actual, dict):
        assert actual.keys() == expected.keys()
        for key, value in expected.items():
            assert_close(actual[key], value)
    elif isinstance(expected, list) and isinstance(actual, list):
        assert len(actual) == len(expected)
        for item, value in zip(actual, expected, strict=True):
            assert_close(item, value)
    else:
        assert actual == expected


def assert_same_findings(actual: pl.DataFrame, expected: pl.DataFrame) -> None:
    """Equal findings; the numbers inside `values` to 1e-9, since a sum of floats may differ in the last
    digit with the order of its terms."""
    assert_frame_equal(actual.drop("values"), expected.drop("values"))
    for found, wanted in zip(actual["values"], expected["values"], strict=True):
        assert_close(json.loads(found), json.loads(wanted))


def run(*argv: str | Path) -> int:
    return main(["--quiet", *(str(arg) for arg in argv)])


def identify_into(out: Path, *extra: str | Path, year: int = YEAR, results: Path = EXAMPLE) -> int:
    return run("identify", "--results", results, "--year", str(year), "--out", out, *extra)


@pytest.fixture(scope="module")
def parquet_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet")
    assert identify_into(out) == 0
    return out


def test_it_writes_every_output_with_its_columns(parquet_run: Path) -> None:
    findings = pl.read_parquet(parquet_run / "findings.parquet")
    assert findings.columns == [*FINDING_COLUMNS, "values"]
    assert findings.height > 0
    assert findings["reason"].str.contains("[а-яА-Я]").all()
    for kind in LIST_METHODS:
        members = pl.read_parquet(parquet_run / f"lists_{kind}.parquet")
        assert members.schema == MEMBERSHIP_SCHEMA
    for name in ("low_results", "context", "value_added"):
        assert (parquet_run / f"details_{name}.parquet").is_file()
    models = json.loads((parquet_run / "models.json").read_text(encoding="utf-8"))
    assert set(models) >= {"value_added", "context_loadings"}
    record = json.loads((parquet_run / "run.json").read_text(encoding="utf-8"))
    assert record["year"] == YEAR
    assert len(record["input_fingerprint"]) == 64
    assert record["methodology"] == Methodology().to_dict()
    assert (
        record["counts"]["lists"]["low_results"]
        == pl.read_parquet(parquet_run / "lists_low_results.parquet").height
    )
    assert set(record["outputs"]) == {path.name for path in parquet_run.iterdir()}


def test_it_finds_what_identify_finds_in_process(parquet_run: Path) -> None:
    def read(name: str, separator: str = ",") -> pl.DataFrame:
        return pl.read_csv(EXAMPLE / f"{name}.csv", infer_schema=False, separator=separator)

    inputs = identify_inputs(
        areas=read("school_areas"),
        pupil_results=read("pupil_results"),
        task_scores=read("task_scores"),
        school_aggregates=read("school_aggregates"),
        context=read("school_context", ";"),
    )
    expected = identify(inputs, Methodology(), year=YEAR)
    assert_same_findings(pl.read_parquet(parquet_run / "findings.parquet"), expected.findings)
    for kind, members in expected.lists.items():
        assert_frame_equal(pl.read_parquet(parquet_run / f"lists_{kind}.parquet"), members)


def test_it_gives_identical_outputs_for_the_same_inputs(parquet_run: Path, tmp_path: Path) -> None:
    assert identify_into(tmp_path) == 0
    for name in (
        "findings.parquet",
        "lists_low_results.parquet",
        "details_low_results.parquet",
        "details_context.parquet",
        "details_value_added.parquet",
        "details_objectivity.parquet",
        "models.json",
    ):
        assert (tmp_path / name).read_bytes() == (parquet_run / name).read_bytes(), name
    first = json.loads((parquet_run / "run.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert first["input_fingerprint"] == second["input_fingerprint"]


def test_its_fingerprint_ignores_row_order_and_file_format(parquet_run: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    for path in EXAMPLE.glob("*.csv"):
        separator = ";" if path.stem == "school_context" else ","
        frame = pl.read_csv(path, infer_schema=False, separator=separator)
        if path.stem == "pupil_results":  # split in two files, shuffled, as Parquet
            frame = frame.sample(fraction=1.0, shuffle=True, seed=1)
            frame.head(5000).write_parquet(results / "pupil_results_a.parquet")
            frame.tail(frame.height - 5000).write_parquet(results / "pupil_results_b.parquet")
        else:
            shutil.copy(path, results / path.name)
    assert identify_into(tmp_path / "out", results=results) == 0
    first = json.loads((parquet_run / "run.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert first["input_fingerprint"] == second["input_fingerprint"]
    assert_same_findings(
        pl.read_parquet(tmp_path / "out" / "findings.parquet"),
        pl.read_parquet(parquet_run / "findings.parquet"),
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_writes_csv_and_xlsx_that_read_back(parquet_run: Path, tmp_path: Path, fmt: str) -> None:
    assert identify_into(tmp_path, "--format", fmt) == 0
    expected = pl.read_parquet(parquet_run / "findings.parquet")
    findings = read_table_file(tmp_path / f"findings.{fmt}")
    assert findings.columns == expected.columns
    assert findings.height == expected.height
    assert findings["school_id"].to_list() == expected["school_id"].to_list()
    assert findings["reason"].to_list() == expected["reason"].to_list()
    flagged = expected.filter(pl.col("reason_codes").list.len() > 0).row(0, named=True)
    assert ", ".join(flagged["reason_codes"]) in findings["reason_codes"].to_list()
    members = read_table_file(tmp_path / f"lists_low_results.{fmt}")
    assert (
        members["school_id"].to_list()
        == pl.read_parquet(parquet_run / "lists_low_results.parquet")["school_id"].to_list()
    )


def test_it_keeps_a_school_in_the_list_by_the_exit_rule(tmp_path: Path) -> None:
    assert identify_into(tmp_path / "2024", year=2024) == 0
    assert identify_into(tmp_path / "2025", "--previous-lists", tmp_path / "2024") == 0
    assert identify_into(tmp_path / "2025-alone") == 0
    kept_by_rule = 0
    for kind in LIST_METHODS:
        before = pl.read_parquet(tmp_path / "2024" / f"lists_{kind}.parquet")
        after = pl.read_parquet(tmp_path / "2025" / f"lists_{kind}.parquet")
        alone = pl.read_parquet(tmp_path / "2025-alone" / f"lists_{kind}.parquet")
        missed = after.filter(pl.col("meets_rule").not_())
        assert set(missed["school_id"]) <= set(before["school_id"])
        assert not set(missed["school_id"]) & set(alone["school_id"])
        assert missed["cycles_without_rule"].to_list() == [1] * missed.height
        kept_by_rule += missed.height
    assert kept_by_rule > 0, "the example has schools that meet a rule in 2024 and not in 2025"
    record = json.loads((tmp_path / "2025" / "run.json").read_text(encoding="utf-8"))
    low = pl.read_parquet(tmp_path / "2024" / "lists_low_results.parquet")
    assert record["previous_lists"]["schools"]["low_results"] == low.height


def test_it_refuses_a_missing_results_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert identify_into(tmp_path / "out", results=tmp_path / "nowhere") == 2
    error = capsys.readouterr().err
    assert "не найдена" in error and "nowhere" in error
    assert "Traceback" not in error


def test_it_names_the_file_and_the_missing_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(EXAMPLE / "school_areas.csv", tmp_path / "school_areas.csv")
    pupils = pl.read_csv(EXAMPLE / "pupil_results.csv", infer_schema=False).drop("participant")
    pupils.write_csv(tmp_path / "pupil_results_2025.csv")
    assert identify_into(tmp_path / "out", results=tmp_path) == 2
    error = capsys.readouterr().err
    assert "pupil_results_2025.csv" in error and "participant" in error
    assert not (tmp_path / "out").exists()
    assert run("validate", tmp_path) == 2


def test_it_names_the_parameter_of_a_bad_methodology(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    methodology = tmp_path / "methodology.json"
    methodology.write_text(json.dumps({"low_results": {"threshold_pct": "тридцать"}}), encoding="utf-8")
    assert identify_into(tmp_path / "out", "--methodology", methodology) == 2
    assert "low_results.threshold_pct" in capsys.readouterr().err
    methodology.write_text("{ not json", encoding="utf-8")
    assert identify_into(tmp_path / "out", "--methodology", methodology) == 2
    assert "строка 1" in capsys.readouterr().err


def test_it_reads_the_methodology_it_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "methodology.json"
    assert run("methodology", "--out", path) == 0
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["methodology"] == Methodology().to_dict()
    assert document["parameters"]["low_results.threshold_pct"]["label"]
    document["methodology"]["lists"]["exit_after_cycles"] = 3
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert identify_into(tmp_path / "out", "--methodology", path) == 0
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert record["methodology"]["lists"]["exit_after_cycles"] == 3
    capsys.readouterr()
    assert run("methodology", "--bare") == 0
    assert json.loads(capsys.readouterr().out) == Methodology().to_dict()


def test_it_validates_a_folder_and_reads_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    areas = pl.read_csv(EXAMPLE / "school_areas.csv", infer_schema=False)
    sheet.append(areas.columns)
    for row in areas.iter_rows():
        sheet.append(list(row))
    sheet.append(["edu1", None, "reg-77"])  # no municipality
    workbook.save(tmp_path / "school_areas.xlsx")
    assert run("validate", tmp_path) == 2
    error = capsys.readouterr().err
    assert "school_areas.xlsx" in error and "municipality_id" in error


def test_it_names_the_rows_of_csv_xlsx_and_files_that_repeat_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    # CSV: the header is row 1, so the third data row is row 4.
    lines = (EXAMPLE / "pupil_results.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    broken = lines[3].split(",")
    broken[header.index("mark")] = "7"
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    (csv_dir / "pupil_results.csv").write_text("\n".join([*lines[:3], ",".join(broken), *lines[4:]]) + "\n")
    assert run("validate", csv_dir) == 2
    assert "столбец mark: 1 знач. вне допустимых (2..5) (например: 7); строка 4" in capsys.readouterr().err

    # XLSX: empty rows are skipped but counted, so the row is the sheet's.
    areas = pl.read_csv(EXAMPLE / "school_areas.csv", infer_schema=False)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(areas.columns)
    sheet.append([None, None, None])
    sheet.append(list(areas.row(0)))
    sheet.append([None, None, None])
    sheet.append(["edu1", None, "reg-77"])  # row 5: no municipality
    xlsx_dir = tmp_path / "xlsx"
    xlsx_dir.mkdir()
    workbook.save(xlsx_dir / "school_areas.xlsx")
    assert run("validate", xlsx_dir) == 2
    assert (
        "municipality_id: пустых значений 1, а пустые здесь недопустимы; строка 5" in capsys.readouterr().err
    )

    # Two files of one table: a key of the second that the first already has is named with its file.
    both = tmp_path / "both"
    both.mkdir()
    (both / "school_areas_a.csv").write_text((EXAMPLE / "school_areas.csv").read_text(encoding="utf-8"))
    first = (EXAMPLE / "school_areas.csv").read_text(encoding="utf-8").splitlines()
    (both / "school_areas_b.csv").write_text("\n".join([first[0], "edu999999,mun-x,reg-x", first[2]]) + "\n")
    assert run("validate", both) == 2
    error = capsys.readouterr().err
    assert "1 строка повторяет ключ (school_id); school_areas_b.csv, строка 3" in error


def test_its_rows_are_the_file_rows_whatever_lies_above_or_between(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    areas = (EXAMPLE / "school_areas.csv").read_text(encoding="utf-8").splitlines()
    # CSV: two blank lines before the header (line 3), a quoted cell over lines 5-6, the bad row on line 7.
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    text = "\n".join(["", "", areas[0], areas[1], 'edu900001,"mun\nx",reg-1', "edu900002,,reg-1"]) + "\n"
    (csv_dir / "school_areas.csv").write_text(text)
    assert run("validate", csv_dir) == 2
    assert (
        "municipality_id: пустых значений 1, а пустые здесь недопустимы; строка 7" in capsys.readouterr().err
    )
    # A blank line and a line of empty cells in the middle are no rows (not rows of empty values).
    text = "\n".join([areas[0], areas[1], "", ",,", "edu900002,,reg-1", areas[2]]) + "\n"
    (csv_dir / "school_areas.csv").write_text(text)
    assert run("validate", csv_dir) == 2
    error = capsys.readouterr().err
    assert "municipality_id: пустых значений 1, а пустые здесь недопустимы; строка 5" in error
    assert "school_id" not in error and "повторяет" not in error

    # XLSX: an empty first row, the header on row 2, the bad row on row 4.
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([None, None, None])
    sheet.append(areas[0].split(","))
    sheet.append(areas[1].split(","))
    sheet.append(["edu900002", None, "reg-1"])
    xlsx_dir = tmp_path / "xlsx"
    xlsx_dir.mkdir()
    workbook.save(xlsx_dir / "school_areas.xlsx")
    assert run("validate", xlsx_dir) == 2
    assert (
        "municipality_id: пустых значений 1, а пустые здесь недопустимы; строка 4" in capsys.readouterr().err
    )

    # Files of one table with an empty one between: the repeat is named in the file that holds it.
    files = tmp_path / "files"
    files.mkdir()
    (files / "school_areas_1.csv").write_text("\n".join(areas) + "\n")
    (files / "school_areas_2.csv").write_text(areas[0] + "\n")
    (files / "school_areas_3.csv").write_text("\n".join([areas[0], "edu900003,mun-x,reg-x", areas[1]]) + "\n")
    assert run("validate", files) == 2
    assert "1 строка повторяет ключ (school_id); school_areas_3.csv, строка 3" in capsys.readouterr().err

    # A row rule is told in Russian, with its row.
    pupils = (EXAMPLE / "pupil_results.csv").read_text(encoding="utf-8").splitlines()
    header, row = pupils[0].split(","), pupils[2].split(",")
    row[header.index("primary_score")] = "99"
    rule_dir = tmp_path / "rule"
    rule_dir.mkdir()
    (rule_dir / "pupil_results.csv").write_text("\n".join([*pupils[:2], ",".join(row), *pupils[3:]]) + "\n")
    assert run("validate", rule_dir) == 2
    error = capsys.readouterr().err
    assert "1 строка нарушает правило: primary_score exceeds max_primary_score; строка 3" in error


def schema_markdown() -> str:
    """The tables of the canonical schemas as docs/analytics/README.md shows them."""
    from analytics.schema import SCHEMAS

    lines: list[str] = []
    for name, schema in SCHEMAS.items():
        lines += [f"#### `{name}`", "", f"{schema.doc} Key: ({', '.join(schema.key)}).", ""]
        lines += [
            "| Column | Type | Required | Null allowed | Allowed values | Meaning |",
            "|---|---|---|---|---|---|",
        ]
        for column in schema.columns:
            domain = column.domain.doc if column.domain else ""
            required = "yes" if column.required else "no"
            nullable = "yes" if column.nullable else "no"
            lines.append(
                f"| `{column.name}` | {column.dtype} | {required} | {nullable} | {domain} | {column.doc} |"
            )
        lines += [""] + [f"Row rule: «{rule.message}» is an error." for rule in schema.row_checks]
        if schema.row_checks:
            lines.append("")
    return "\n".join(lines)


def test_its_readme_describes_the_schemas_as_they_are() -> None:
    readme = (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    assert schema_markdown() in readme, (
        "regenerate the tables with analytics.tests.test_cli.schema_markdown()"
    )


def test_an_optional_column_of_nulls_leaves_the_fingerprint_alone() -> None:
    """Files written before an optional column joined the schema keep their fingerprint; its values count."""
    from analytics.cli import table_fingerprint
    from analytics.schema import validate_frame

    pupils = validate_frame(pl.read_csv(EXAMPLE / "pupil_results.csv", infer_schema=False), "pupil_results")
    before = table_fingerprint(pupils.drop("completion_pct"), "pupil_results")
    assert table_fingerprint(pupils, "pupil_results") == before
    given = pupils.with_columns(completion_pct=pl.lit(50.0))
    assert table_fingerprint(given, "pupil_results") != before
