"""Writes to the register. Every change goes through here and leaves an AuditEvent.

The register import is the main caller; admin screens and later importers use the same functions. Field
values are checked by the model's validators (login, INN, OGRN, lengths, choices); uniqueness and the
merge rule are left to the database constraints, which hold inside the caller's transaction.

Each write has a batch form (`*_bulk_*`) that does the same checks and audit in a few queries whatever
the number of rows: an import of thousands of schools must not cost a query per row. The single forms
are the batch forms applied to one item. Values are checked before anything is written, so a refused value
(ValidationError, ValueError) leaves the caller's transaction usable.
"""

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.core.models import AuditEvent
from opora.core.services import Actor, audit_event_build, audit_event_bulk_create, audit_event_create
from opora.registry.identity import normalize_alias, normalize_name
from opora.registry.models import (
    AcademicYear,
    Municipality,
    School,
    SchoolAlias,
    SchoolContext,
    SchoolEnrolment,
)

T = TypeVar("T")

# The fields of a school the register describes (and the register import may change).
SCHOOL_REGISTER_FIELDS = (
    "municipality",
    "fis_oko_login",
    "inn",
    "ogrn",
    "full_name",
    "short_name",
    "kind",
    "location",
    "settlement",
    "settlement_population",
    "address",
    "latitude",
    "longitude",
    "status",
    "successor",
)
# Foreign keys are given as objects and checked by the database, not by a query per field.
_NOT_CLEANED = ["municipality", "successor"]
_BATCH = 500


def _plain(value: object) -> Any:
    """A value as the audit log's JSON keeps it."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value


def _chunks(items: Sequence[T], size: int = _BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _audit(actor: Actor, action: str, object_id: object, summary: str, details: dict[str, Any]) -> AuditEvent:
    return audit_event_build(
        actor=actor,
        action=action,
        object_type="registry.school",
        object_id=object_id,
        summary=summary,
        details=details,
    )


# --- schools ----------------------------------------------------------------------------------------


def _register_values(school: School) -> dict[str, Any]:
    return {
        name: getattr(school, f"{name}_id") if name in _NOT_CLEANED else _plain(getattr(school, name))
        for name in SCHOOL_REGISTER_FIELDS
    }


def school_bulk_create(*, actor: Actor, schools: Sequence[School], source: str = "") -> list[School]:
    """Check and insert new schools (their successors must already exist)."""
    for school in schools:
        school.fis_oko_login = school.fis_oko_login or None
        school.full_clean(exclude=_NOT_CLEANED, validate_unique=False, validate_constraints=False)
    with transaction.atomic(savepoint=False):
        created = School.objects.bulk_create(schools, batch_size=_BATCH)
        audit_event_bulk_create(
            [
                _audit(
                    actor,
                    "school_create",
                    school.pk,
                    school.short_name,
                    {"values": _register_values(school), "source": source},
                )
                for school in created
            ]
        )
    return created


def school_create(
    *,
    actor: Actor,
    municipality: Municipality,
    full_name: str,
    short_name: str,
    location: str,
    fis_oko_login: str | None = None,
    inn: str = "",
    ogrn: str = "",
    kind: str = School.Kind.SECONDARY,
    settlement: str = "",
    settlement_population: int | None = None,
    address: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    status: str = School.Status.ACTIVE,
    successor: School | None = None,
    source: str = "",
) -> School:
    school = School(
        municipality=municipality,
        fis_oko_login=fis_oko_login,
        inn=inn,
        ogrn=ogrn,
        full_name=full_name,
        short_name=short_name,
        kind=kind,
        location=location,
        settlement=settlement,
        settlement_population=settlement_population,
        address=address,
        latitude=latitude,
        longitude=longitude,
        status=status,
        successor=successor,
    )
    return school_bulk_create(actor=actor, schools=[school], source=source)[0]


def _apply_changes(
    school: School, changes: Mapping[str, object]
) -> tuple[dict[str, tuple[Any, Any]], dict[str, Any]]:
    unknown = set(changes) - set(SCHOOL_REGISTER_FIELDS)
    if unknown:
        raise ValueError(f"Not register fields: {sorted(unknown)}")
    diffs: dict[str, tuple[Any, Any]] = {}
    old_values: dict[str, Any] = {}
    for name, value in changes.items():
        new = (value or None) if name == "fis_oko_login" else value
        if name in _NOT_CLEANED:  # compare foreign keys by id, without fetching the old object
            old: Any = getattr(school, f"{name}_id")
            changed = old != _plain(new)
        else:
            old = getattr(school, name)
            changed = old != new
        if changed:
            diffs[name] = (_plain(old), _plain(new))
            old_values[name] = old
            setattr(school, name, new)
    return diffs, old_values


def school_bulk_update(
    *, actor: Actor, updates: Sequence[tuple[School, Mapping[str, object]]], source: str = ""
) -> dict[int, dict[str, tuple[Any, Any]]]:
    """Set register fields of many schools; returns what actually changed, {school id: {field: (old, new)}}.

    A replaced login or name stays in the identity map as an alias, so that older files still resolve.
    Schools whose values are already as given are not written.
    """
    changed: dict[int, dict[str, tuple[Any, Any]]] = {}
    schools: list[School] = []
    fields: set[str] = set()
    events: list[AuditEvent] = []
    aliases: list[tuple[School, str, str]] = []
    now = timezone.now()
    for school, changes in updates:
        diffs, old_values = _apply_changes(school, changes)
        if not diffs:
            continue
        school.full_clean(exclude=_NOT_CLEANED, validate_unique=False, validate_constraints=False)
        school.updated_at = now
        changed[school.pk] = diffs
        schools.append(school)
        fields.update(diffs)
        events.append(
            _audit(
                actor,
                "school_update",
                school.pk,
                school.short_name,
                {"changes": {name: list(pair) for name, pair in diffs.items()}, "source": source},
            )
        )
        if old_values.get("fis_oko_login"):
            aliases.append((school, SchoolAlias.Kind.FIS_OKO_LOGIN, old_values["fis_oko_login"]))
        current_names = {normalize_name(school.full_name), normalize_name(school.short_name)}
        for name in ("full_name", "short_name"):
            old_name = old_values.get(name)
            if old_name and normalize_name(old_name) not in current_names:
                aliases.append((school, SchoolAlias.Kind.NAME, old_name))
    with transaction.atomic(savepoint=False):
        if schools:
            School.objects.bulk_update(schools, [*sorted(fields), "updated_at"], batch_size=_BATCH)
        audit_event_bulk_create(events)
        if aliases:
            school_alias_bulk_add(actor=actor, aliases=aliases, source=source)
    return changed


def school_update(
    *, actor: Actor, school: School, changes: Mapping[str, object], source: str = ""
) -> dict[str, tuple[Any, Any]]:
    """Set the given register fields; returns what actually changed as {field: (old, new)}."""
    return school_bulk_update(actor=actor, updates=[(school, changes)], source=source).get(school.pk, {})


# --- aliases ----------------------------------------------------------------------------------------


def school_alias_bulk_add(
    *, actor: Actor, aliases: Sequence[tuple[School, str, str]], source: str = ""
) -> list[SchoolAlias]:
    """Add other names and ids of schools, (school, kind, value) each; those already known are skipped."""
    wanted: dict[tuple[int, str, str], SchoolAlias] = {}
    for school, kind, raw in aliases:
        value = raw.strip()
        normalized = normalize_alias(kind, value)
        if not normalized:
            raise ValueError("An alias needs a value")
        alias = SchoolAlias(school=school, kind=kind, value=value, normalized=normalized, source=source[:200])
        alias.full_clean(exclude=["school"], validate_unique=False, validate_constraints=False)
        wanted.setdefault((school.pk, kind, normalized), alias)
    with transaction.atomic(savepoint=False):
        school_ids = sorted({key[0] for key in wanted})
        for chunk in _chunks(school_ids):
            for key in SchoolAlias.objects.filter(school_id__in=chunk).values_list(
                "school_id", "kind", "normalized"
            ):
                wanted.pop(key, None)
        # bulk_create skips save(), which fills `normalized`: it is set above, as save() would.
        created = SchoolAlias.objects.bulk_create(list(wanted.values()), batch_size=_BATCH)
        audit_event_bulk_create(
            [
                _audit(
                    actor,
                    "school_alias_add",
                    alias.school_id,
                    f"{alias.get_kind_display()}: {alias.value}",
                    {"kind": alias.kind, "value": alias.value, "source": source},
                )
                for alias in created
            ]
        )
    return created


def school_alias_add(
    *, actor: Actor, school: School, kind: str, value: str, source: str = ""
) -> SchoolAlias | None:
    """Add another name or id of the school; None (and no write) if it is already known."""
    created = school_alias_bulk_add(actor=actor, aliases=[(school, kind, value)], source=source)
    return created[0] if created else None


class SchoolAliasConflictError(Exception):
    """The identifier already names another school; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# The register's own fields that resolve an alias kind, as SchoolResolver reads them.
_ALIAS_FIELDS = {
    SchoolAlias.Kind.FIS_OKO_LOGIN: "fis_oko_login",
    SchoolAlias.Kind.INN: "inn",
    SchoolAlias.Kind.OGRN: "ogrn",
}


def school_alias_create(
    *, actor: Actor, school: School, kind: str, value: str, source: str = ""
) -> SchoolAlias:
    """Make `value` another identifier of the school (a user mapped an unknown school of a file).

    Idempotent for the same school; refused (SchoolAliasConflictError) when the value already names
    another school, by an alias or by the register's own field, since resolving it would become ambiguous.
    """
    value = value.strip()
    normalized = normalize_alias(kind, value)
    if not normalized:
        raise ValueError("An alias needs a value")
    with transaction.atomic():
        taken = SchoolAlias.objects.filter(kind=kind, normalized=normalized).select_related("school")
        other = next((a.school for a in taken if a.school_id != school.pk), None)
        if other is None and kind in _ALIAS_FIELDS:
            other = (
                School.objects.exclude(pk=school.pk)
                .filter(**{f"{_ALIAS_FIELDS[kind]}__iexact": normalized})  # type: ignore[index]
                .first()
            )
        if other is not None:
            raise SchoolAliasConflictError(
                _(
                    "«%(value)s» already identifies another school, «%(school)s»: "
                    "it cannot be given to «%(target)s»."
                )
                % {"value": value, "school": other.short_name, "target": school.short_name}
            )
        existing = next((a for a in taken if a.school_id == school.pk), None)
        if existing is not None:
            return existing
        alias = SchoolAlias(school=school, kind=kind, value=value, source=source[:200])
        alias.full_clean(exclude=["school"], validate_unique=False, validate_constraints=False)
        alias.save()
        audit_event_create(
            actor=actor,
            action="school_alias_create",
            object_type="registry.school",
            object_id=school.pk,
            summary=f"{alias.get_kind_display()}: {alias.value}",
            details={"kind": kind, "value": value, "alias_id": alias.pk, "source": source},
        )
    return alias


# --- academic years and enrolment -------------------------------------------------------------------


def academic_year_get_or_create(*, actor: Actor, start_year: int) -> AcademicYear:
    found = AcademicYear.objects.filter(start_year=start_year).first()
    if found is not None:
        return found
    year = AcademicYear(start_year=start_year)
    year.full_clean(validate_unique=False)
    with transaction.atomic(savepoint=False):
        year.save()
        audit_event_create(
            actor=actor,
            action="academic_year_create",
            object_type="registry.academicyear",
            object_id=year.pk,
            summary=year.label,
        )
    return year


def school_enrolment_bulk_set(
    *, actor: Actor, items: Sequence[tuple[School, AcademicYear, int]], source: str = ""
) -> list[SchoolEnrolment]:
    """Record pupils of schools in years, (school, year, pupils) each; returns the enrolments written."""
    existing: dict[tuple[int, int], SchoolEnrolment] = {}
    by_year: dict[int, list[int]] = {}
    for school, year, _pupils in items:
        by_year.setdefault(year.pk, []).append(school.pk)
    for year_id, school_ids in by_year.items():
        for chunk in _chunks(sorted(set(school_ids))):
            for enrolment in SchoolEnrolment.objects.filter(academic_year_id=year_id, school_id__in=chunk):
                existing[(enrolment.school_id, year_id)] = enrolment
    new: list[SchoolEnrolment] = []
    changed: list[SchoolEnrolment] = []
    events: list[AuditEvent] = []
    for school, year, pupils in items:
        found = existing.get((school.pk, year.pk))
        old = found.pupils if found is not None else None
        if old == pupils:
            continue
        if found is None:
            enrolment = SchoolEnrolment(school=school, academic_year=year, pupils=pupils)
            existing[(school.pk, year.pk)] = enrolment
            new.append(enrolment)
        else:
            enrolment = found
            enrolment.pupils = pupils
            if enrolment.pk is not None:
                changed.append(enrolment)
        enrolment.full_clean(
            exclude=["school", "academic_year"], validate_unique=False, validate_constraints=False
        )
        events.append(
            _audit(
                actor,
                "school_enrolment_set",
                school.pk,
                f"{year.label}: {old if old is not None else '—'} → {pupils}",
                {"academic_year": year.start_year, "old": old, "new": pupils, "source": source},
            )
        )
    with transaction.atomic(savepoint=False):
        SchoolEnrolment.objects.bulk_create(new, batch_size=_BATCH)
        if changed:
            SchoolEnrolment.objects.bulk_update(changed, ["pupils"], batch_size=_BATCH)
        audit_event_bulk_create(events)
    return [*new, *changed]


def school_enrolment_set(
    *, actor: Actor, school: School, academic_year: AcademicYear, pupils: int, source: str = ""
) -> SchoolEnrolment:
    """Record the number of pupils of a school in a year (replacing an earlier figure)."""
    written = school_enrolment_bulk_set(actor=actor, items=[(school, academic_year, pupils)], source=source)
    if written:
        return written[0]
    return SchoolEnrolment.objects.get(school=school, academic_year=academic_year)


# --- social passports (school context) --------------------------------------------------------------

# The shares of a social passport, in percent (0-100); None is «unknown», never 0.
SCHOOL_CONTEXT_FIELDS = (
    "share_single_parent",
    "share_parents_higher_education",
    "share_unemployed_parents",
    "share_low_income",
    "share_on_register",
    "share_disabilities",
    "share_non_native_russian",
)


def school_context_bulk_set(
    *,
    actor: Actor,
    items: Sequence[tuple[School, AcademicYear, Mapping[str, Decimal | None]]],
    source: str = "",
) -> list[SchoolContext]:
    """Set shares of the social passports of schools in years, (school, year, {field: value}) each.

    Only the fields given are set (None clears a share: unknown); the others are left as they are. A
    passport that does not exist is created, unless every value given is None (nothing to record).
    Passports whose values are already as given are not written. Returns the passports written.
    """
    for _school, _year, values in items:
        unknown = set(values) - set(SCHOOL_CONTEXT_FIELDS)
        if unknown:
            raise ValueError(f"Not social passport fields: {sorted(unknown)}")
    existing: dict[tuple[int, int], SchoolContext] = {}
    by_year: dict[int, list[int]] = {}
    for school, year, _values in items:
        by_year.setdefault(year.pk, []).append(school.pk)
    for year_id, school_ids in by_year.items():
        for chunk in _chunks(sorted(set(school_ids))):
            for context in SchoolContext.objects.filter(academic_year_id=year_id, school_id__in=chunk):
                existing[(context.school_id, year_id)] = context
    new: list[SchoolContext] = []
    changed: dict[int, SchoolContext] = {}
    fields: set[str] = set()
    events: list[AuditEvent] = []
    for school, year, values in items:
        found = existing.get((school.pk, year.pk))
        is_new = found is None or found.pk is None
        if found is None:
            if all(value is None for value in values.values()):
                continue
            found = SchoolContext(school=school, academic_year=year)
            existing[(school.pk, year.pk)] = found
            new.append(found)
        context = found
        diffs: dict[str, list[Any]] = {}
        for name, value in values.items():
            old = getattr(context, name)
            if old != value:
                diffs[name] = [_plain(old), _plain(value)]
                setattr(context, name, value)
        if not diffs:
            continue
        context.full_clean(
            exclude=["school", "academic_year"], validate_unique=False, validate_constraints=False
        )
        if not is_new:
            changed[context.pk] = context
        fields.update(diffs)
        events.append(
            _audit(
                actor,
                "school_context_create" if is_new else "school_context_update",
                school.pk,
                f"{school.short_name}: {year.label}",
                {"academic_year": year.start_year, "changes": diffs, "source": source},
            )
        )
    with transaction.atomic(savepoint=False):
        SchoolContext.objects.bulk_create(new, batch_size=_BATCH)
        if changed:
            SchoolContext.objects.bulk_update(list(changed.values()), sorted(fields), batch_size=_BATCH)
        audit_event_bulk_create(events)
    return [*new, *changed.values()]
