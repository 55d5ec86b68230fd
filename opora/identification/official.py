"""Official lists (federal, regional, municipal) imported from the file that came with their document.

The file is a table (CSV or XLSX) with one school per row, named by its ФИС ОКО login, ИНН, or name (the
first that resolves wins, through the identity map); an optional «Примечание» column is kept per school.
Every row is checked before anything is written; the whole list is written in one transaction, or nothing.
The same file for the same list, year and level again changes nothing. Documented in
docs/formats/official-list.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.core.services import audit_event_create
from opora.identification.models import ListMembership, SchoolList
from opora.imports.errors import RowError
from opora.imports.readers import ReaderError, read_table
from opora.imports.register.format import fold
from opora.imports.schools import unknown_school
from opora.registry.identity import SchoolResolver
from opora.registry.models import Municipality, Region

#: Header words (folded) → what the column holds. Headers are Russian data, as users write them.
HEADER_WORDS = {
    "логин": "login",
    "логин оо": "login",
    "логин фис око": "login",
    "код оо": "login",
    "login": "login",
    "инн": "inn",
    "инн оо": "inn",
    "наименование оо": "name",
    "наименование": "name",
    "название оо": "name",
    "название": "name",
    "школа": "name",
    "оо": "name",
    "примечание": "note",
    "основание": "note",
}


def _columns(header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        role = HEADER_WORDS.get(fold(cell))
        if role and role not in found:
            found[role] = index
    return found


def _is_header(cells: Sequence[str]) -> bool:
    return bool({"login", "inn", "name"} & set(_columns(cells)))


@dataclass
class OfficialListImport:
    """What reading the file found: the resolved schools (with notes) or the errors, and the result."""

    errors: list[RowError] = field(default_factory=list)
    school_list: SchoolList | None = None
    created: bool = False
    rows: int = 0


def official_list_import(
    *,
    actor: User,
    source: IO[bytes],
    file_name: str,
    kind: str,
    level: str,
    year: int,
    document: str,
    document_date: date | None,
    region: Region,
    municipality: Municipality | None,
) -> OfficialListImport:
    """Read and check the file; when every row resolves to a school the user may see, write the list."""
    outcome = OfficialListImport()
    source.seek(0)
    digest = hashlib.sha256(source.read()).hexdigest()
    try:
        table = read_table(source, file_name=file_name, header_match=_is_header)
    except ReaderError as error:
        outcome.errors.append(RowError.from_reader_error(error))
        return outcome
    columns = _columns(table.header)
    if not {"login", "inn", "name"} & set(columns):
        outcome.errors.append(
            RowError(
                file_name,
                table.sheet,
                table.header_row,
                "",
                _(
                    "the header has no column naming the school: "
                    "expected «Логин ОО», «ИНН» or «Наименование ОО»"
                ),
            )
        )
        return outcome
    visible = set(schools_visible_to(actor).values_list("pk", flat=True))
    resolver = SchoolResolver.load(
        municipality_ids=[municipality.pk]
        if municipality
        else list(Municipality.objects.filter(region=region).values_list("pk", flat=True))
    )
    members: dict[int, str] = {}
    for row in table:
        outcome.rows += 1
        login = row.get(columns["login"]).strip() if "login" in columns else ""
        inn = row.get(columns["inn"]).strip() if "inn" in columns else ""
        name = row.get(columns["name"]).strip() if "name" in columns else ""
        note = row.get(columns["note"]).strip() if "note" in columns else ""
        column = (
            table.header[columns["login" if login else "inn" if inn else "name"]]
            if (login or inn or name)
            else ""
        )
        resolution = resolver.resolve(login=login, inn=inn, name=name)
        if not resolution.resolved or resolution.school_id not in visible:
            what = login or inn or name
            if not what:
                message = _("the row names no school")
            elif resolution.ambiguous:
                message = _("«%(school)s» matches several schools: give the login or the INN") % {
                    "school": what
                }
            elif resolution.resolved:  # a school of the register, outside the user's area: not named
                message = _("the school «%(school)s» is not in the register of your area") % {"school": what}
            else:
                message, _school = unknown_school(
                    resolver,
                    visible=visible,
                    login=login,
                    inn=inn,
                    name=name,
                    candidates=resolution.suggestions,
                )
            outcome.errors.append(RowError(file_name, table.sheet, row.number, column, message))
            continue
        assert resolution.school_id is not None
        if resolution.school_id in members:
            outcome.errors.append(
                RowError(file_name, table.sheet, row.number, column, _("the school is listed twice"))
            )
            continue
        members[resolution.school_id] = note
    if not outcome.rows:
        outcome.errors.append(RowError(file_name, table.sheet, None, "", _("the file lists no schools")))
    if outcome.errors:
        return outcome
    with transaction.atomic():
        existing = SchoolList.objects.filter(
            origin=SchoolList.Origin.OFFICIAL,
            kind=kind,
            level=level,
            year=year,
            region=region,
            municipality=municipality,
            source_sha256=digest,
        ).first()
        if existing is not None:
            outcome.school_list = existing
            return outcome
        school_list = SchoolList.objects.create(
            kind=kind,
            origin=SchoolList.Origin.OFFICIAL,
            level=level,
            year=year,
            region=region,
            municipality=municipality,
            document=document,
            document_date=document_date,
            source_file=file_name[:255],
            source_sha256=digest,
            created_by=actor,
        )
        ListMembership.objects.bulk_create(
            [
                ListMembership(school_list=school_list, school_id=pk, note=note[:500])
                for pk, note in members.items()
            ]
        )
        audit_event_create(
            actor=actor,
            action="official_list_import",
            object_type="identification.schoollist",
            object_id=school_list.pk,
            summary=str(school_list),
            details={"file": file_name, "sha256": digest, "schools": len(members), "document": document},
        )
    outcome.school_list = school_list
    outcome.created = True
    return outcome
