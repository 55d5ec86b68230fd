"""Register files for the tests, written from rows in the canonical format (as CSV or XLSX bytes)."""

import csv
import io
from collections.abc import Sequence

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = [
    "Муниципалитет",
    "Логин ФИС ОКО",
    "ИНН",
    "ОГРН",
    "Полное наименование",
    "Краткое наименование",
    "Вид ОО",
    "Местность",
    "Населённый пункт",
    "Численность населения",
    "Адрес",
    "Широта",
    "Долгота",
    "Статус",
    "Правопреемник",
    "Учебный год",
    "Контингент",
    "Другие наименования",
]
M1 = "Лесогорский муниципальный район"
M2 = "Городской округ Светлогорск"
GYMNASIUM_FULL_NAME = "Муниципальное автономное общеобразовательное учреждение «Гимназия № 5»"


def school_row(**overrides: str) -> dict[str, str]:
    row = {
        "Муниципалитет": M1,
        "Логин ФИС ОКО": "edu250001",
        "ИНН": "2501000001",
        "ОГРН": "1022500000001",
        "Полное наименование": "Муниципальное бюджетное общеобразовательное учреждение "
        "«Средняя общеобразовательная школа № 3 с. Лесное»",
        "Краткое наименование": "МБОУ «СОШ № 3 с. Лесное»",
        "Вид ОО": "СОШ",
        "Местность": "село",
        "Населённый пункт": "с. Лесное",
        "Численность населения": "1450",
        "Адрес": "692000, Приморская область, с. Лесное, ул. Школьная, 1",
        "Широта": "44,1234",
        "Долгота": "132.5",
        "Статус": "действующая",
        "Правопреемник": "",
        "Учебный год": "2025/2026",
        "Контингент": "312",
        "Другие наименования": "СОШ №3 Лесное; Лесновская школа",
    }
    row.update(overrides)
    return row


def good_rows() -> list[dict[str, str]]:
    """Four new schools in two municipalities of region A; the fourth is merged into the first."""
    return [
        school_row(),
        school_row(
            **{
                "Логин ФИС ОКО": "edu250002",
                "ИНН": "2501000002",
                "ОГРН": "",
                "Полное наименование": "Муниципальное автономное общеобразовательное учреждение "
                "«Гимназия № 5»",
                "Краткое наименование": "МАОУ «Гимназия № 5»",
                "Вид ОО": "гимназия",
                "Местность": "город",
                "Населённый пункт": "г. Лесогорск",
                "Численность населения": "48 200",
                "Адрес": "",
                "Широта": "",
                "Долгота": "",
                "Контингент": "1020",
                "Другие наименования": "",
            }
        ),
        school_row(
            **{
                "Муниципалитет": M2,
                "Логин ФИС ОКО": "sch25000301",
                "ИНН": "2502000003",
                "ОГРН": "",
                "Полное наименование": "Муниципальное бюджетное общеобразовательное учреждение «Лицей № 1»",
                "Краткое наименование": "МБОУ «Лицей № 1»",
                "Вид ОО": "Лицей",
                "Местность": "Город",
                "Населённый пункт": "г. Светлогорск",
                "Численность населения": "",
                "Адрес": "",
                "Широта": "",
                "Долгота": "",
                "Учебный год": "2025",
                "Контингент": "845",
                "Другие наименования": "Лицей №1 г. Светлогорска",
            }
        ),
        school_row(
            **{
                "Логин ФИС ОКО": "edu250004",
                "ИНН": "2501000004",
                "ОГРН": "",
                "Полное наименование": "Муниципальное казенное общеобразовательное учреждение "
                "«Основная общеобразовательная школа д. Ключи»",
                "Краткое наименование": "МКОУ «ООШ д. Ключи»",
                "Вид ОО": "ООШ",
                "Населённый пункт": "д. Ключи",
                "Численность населения": "210",
                "Адрес": "",
                "Широта": "",
                "Долгота": "",
                "Статус": "присоединена",
                "Правопреемник": "edu250001",
                "Учебный год": "",
                "Контингент": "",
                "Другие наименования": "",
            }
        ),
    ]


def csv_bytes(
    rows: Sequence[dict[str, str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    header: Sequence[str] = HEADER,
    blank_lines_after: Sequence[int] = (),
) -> bytes:
    """The rows as a CSV file; `blank_lines_after` inserts an empty line after those data rows (1-based)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow([row.get(column, "") for column in header])
        if number in blank_lines_after:
            buffer.write("\r\n")
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(
    rows: Sequence[dict[str, str]],
    *,
    header: Sequence[str] = HEADER,
    title_rows: Sequence[str] = (),
    sheet: str = "Реестр",
) -> bytes:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    for title in title_rows:
        worksheet.append([title])
    worksheet.append(list(header))
    for row in rows:
        worksheet.append([row.get(column, "") or None for column in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "register.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
