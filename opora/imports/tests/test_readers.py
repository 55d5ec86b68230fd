"""The generic table reader: formats by content, encodings, delimiters, row numbers, broken files."""

import csv
import io
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opora.imports.readers import (
    EmptyFileError,
    NoHeaderError,
    SheetNotFoundError,
    UnreadableFileError,
    UnsupportedFileError,
    read_table,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def read(content: bytes, **kwargs):
    return read_table(io.BytesIO(content), file_name="f.csv", **kwargs)


def rows(table):
    return [(row.number, list(row.cells)) for row in table]


def test_it_reads_utf8_with_commas():
    table = read("Имя,Число\nАнна,1\nЁжик,2\n".encode())
    assert (table.format, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
    assert table.header == ("Имя", "Число") and table.header_row == 1 and table.sheet is None
    assert rows(table) == [(2, ["Анна", "1"]), (3, ["Ёжик", "2"])]


def test_it_reads_cp1251_with_semicolons():
    table = read("Муниципалитет;ИНН\r\nЛесогорский;2501000001\r\n".encode("cp1251"))
    assert (table.encoding, table.delimiter) == ("cp1251", ";")
    assert rows(table) == [(2, ["Лесогорский", "2501000001"])]


def test_it_reads_utf8_with_bom_and_tabs():
    table = read("\ufeffИмя\tЧисло\nАнна\t1\n".encode())
    assert (table.encoding, table.delimiter) == ("utf-8-sig", "\t")
    assert table.header == ("Имя", "Число")


def test_it_keeps_file_line_numbers_across_blank_lines_and_multiline_cells():
    content = b'a,b\n\n"x\ny",1\n , \nz,2\n'
    assert rows(read(content)) == [(3, ["x\ny", "1"]), (6, ["z", "2"])]


def test_it_finds_the_header_below_title_lines():
    content = "Реестр школ на 01.09.2025\n\nЛогин,Имя\nedu1,Анна\n".encode()
    table = read(content, header_match=lambda cells: "Логин" in cells)
    assert table.header_row == 3 and rows(table) == [(4, ["edu1", "Анна"])]


def test_it_falls_back_to_the_first_row_when_no_header_matches():
    table = read(b"a,b\n1,2\n", header_match=lambda cells: False)
    assert table.header == ("a", "b") and table.header_row == 1


def test_it_can_be_iterated_twice():
    table = read(b"a,b\n1,2\n")
    assert rows(table) == rows(table) == [(2, ["1", "2"])]


def test_it_rejects_an_empty_file_in_russian():
    with pytest.raises(EmptyFileError) as error:
        read(b"")
    assert error.value.message == "файл пуст" and error.value.file_name == "f.csv"


def test_it_rejects_a_file_of_blank_lines():
    with pytest.raises(NoHeaderError) as error:
        read(b"\r\n ; \r\n\r\n")
    assert "нет строки заголовка" in error.value.message


def test_it_recognises_a_png_renamed_to_csv():
    with pytest.raises(UnsupportedFileError) as error:
        read(PNG)
    assert "PNG" in error.value.message and "CSV" in error.value.message


def test_it_rejects_binary_data_and_utf16():
    with pytest.raises(UnsupportedFileError):
        read("Имя,Число\n".encode("utf-16"))
    with pytest.raises(UnsupportedFileError):
        read(bytes(range(1, 32)) * 20)


def test_it_rejects_text_in_an_unknown_encoding():
    # 0x98 is undefined in Windows-1251 and invalid in UTF-8.
    with pytest.raises(UnsupportedFileError) as error:
        read(b"a,b\n\x98\xff,1\n")
    assert "кодировка" in error.value.message and error.value.file_name == "f.csv"


def xlsx(build) -> bytes:
    workbook = openpyxl.Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_it_reads_an_xlsx_with_numbers_blank_rows_and_merged_cells():
    def build(workbook):
        sheet = workbook.active
        sheet.title = "Школы"
        sheet["A1"] = "Реестр"
        sheet.append(["Район", "ИНН", "Широта", "Контингент"])
        sheet.append(["Лесогорский", 2501000001, 44.1234, 312])
        sheet.append([])
        sheet.append([None, 2501000002, None, 20.0])
        sheet.merge_cells("A3:A5")  # the district is written once for three rows

    table = read_table(io.BytesIO(xlsx(build)), file_name="r.xlsx", header_match=lambda cells: "ИНН" in cells)
    assert (table.format, table.sheet, table.header_row) == ("xlsx", "Школы", 2)
    assert rows(table) == [
        (3, ["Лесогорский", "2501000001", "44.1234", "312"]),
        (4, ["Лесогорский", "", "", ""]),  # only the merged cell: not an empty row any more
        (5, ["Лесогорский", "2501000002", "", "20"]),
    ]


def test_it_reads_the_named_sheet_and_names_the_missing_one():
    def build(workbook):
        workbook.active.append(["a"])
        second = workbook.create_sheet("Данные")
        second.append(["b"])
        second.append(["2"])

    content = xlsx(build)
    assert rows(read_table(io.BytesIO(content), file_name="r.xlsx", sheet="Данные")) == [(2, ["2"])]
    with pytest.raises(SheetNotFoundError) as error:
        read_table(io.BytesIO(content), file_name="r.xlsx", sheet="Нет")
    assert "«Нет»" in error.value.message and "«Данные»" in error.value.message


def test_it_skips_a_hidden_first_sheet():
    def build(workbook):
        workbook.active.append(["hidden"])
        workbook.active.sheet_state = "hidden"
        workbook.create_sheet("Видимый").append(["visible"])

    assert read_table(io.BytesIO(xlsx(build)), file_name="r.xlsx").header == ("visible",)


def test_it_names_the_sheet_of_an_empty_workbook():
    with pytest.raises(NoHeaderError) as error:
        read_table(io.BytesIO(xlsx(lambda wb: None)), file_name="r.xlsx")
    assert error.value.sheet == "Sheet" and error.value.file_name == "r.xlsx"


def test_it_rejects_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(UnreadableFileError) as error:
        read_table(io.BytesIO(buffer.getvalue()), file_name="r.xlsx")
    assert "Excel" in error.value.message


def test_it_rejects_an_ole2_file_that_is_not_a_workbook():
    with pytest.raises(UnreadableFileError):
        read_table(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600), file_name="old.xls")


HEADER_TEXT = st.text(
    alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВabcXYZ019 ", min_size=1, max_size=12
).filter(lambda text: text.strip())
CELL_TEXT = st.text(
    alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяЁАЯabcXYZ0123456789 ,;\t\"'«»№—-.\n\r",
    max_size=20,
)


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(min_value=2, max_value=5),
    data=st.data(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_it_round_trips_any_cells_through_csv(width, data, encoding, delimiter):
    header = data.draw(st.lists(HEADER_TEXT, min_size=width, max_size=width))
    body = data.draw(st.lists(st.lists(CELL_TEXT, min_size=width, max_size=width), max_size=8))
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *body])
    table = read(buffer.getvalue().encode(encoding))
    assert table.delimiter == delimiter
    assert list(table.header) == header
    expected = [cells for cells in body if any(cell.strip() for cell in cells)]
    assert [list(row.cells) for row in table] == expected


def test_it_reports_a_malformed_csv_with_its_line():
    content = b"a,b\n1,2\n" + b'"' + b"x" * (17 * 1024 * 1024) + b'",3\n'
    table = read(content)
    with pytest.raises(UnreadableFileError) as error:
        list(table)
    assert "около строки 3" in error.value.message


def test_it_keeps_unicode_line_separators_inside_cells():
    content = 'a,b\n"x\u2028y\x0cz\u0085",1\n'.encode()
    assert rows(read(content)) == [(2, ["x\u2028y\x0cz\u0085", "1"])]
