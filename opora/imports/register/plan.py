"""Plan what an error-free register file changes: match rows to schools, diff them, order the successors.

The register is loaded once per check (a fixed number of queries); matching and diffing run in memory.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from opora.accounts.access import municipalities_visible_to
from opora.accounts.models import User
from opora.imports.register.format import (
    COLUMN_BY_KEY,
    KIND_LABELS,
    LOCATION_LABELS,
    SCHOOL_FIELDS,
    STATUS_LABELS,
    CellError,
    decimal_label,
    fold,
    year_label,
)
from opora.registry.identity import SchoolResolver, normalize_alias, normalize_name
from opora.registry.models import Municipality, School, SchoolAlias, SchoolEnrolment

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass(frozen=True)
class SuccessorRef:
    """The school a merged school went into: an existing one (school_id) or one created by this file."""

    login: str
    school_id: int | None


@dataclass
class ParsedRow:
    number: int
    login: str
    values: dict[str, Any]  # the school fields whose columns the file has; successor as a login
    other_names: list[str]
    enrolment: tuple[int, int] | None  # (start year, pupils)


@dataclass
class SchoolPlan:
    row: int
    login: str
    action: str
    school_id: int | None
    values: dict[str, Any]  # create: every field; update: the changed ones (successor as SuccessorRef)
    changes: list[dict[str, str]]  # {column, old, new} as the preview shows them
    new_names: list[str]
    enrolment: tuple[int, int] | None  # to set
    short_name: str = ""
    municipality: str = ""


@dataclass
class RegisterPlan:
    schools: list[SchoolPlan] = field(default_factory=list)

    def of(self, action: str) -> list[SchoolPlan]:
        return [p for p in self.schools if p.action == action]


@dataclass
class Columns:
    index: dict[str, int]
    titles: dict[str, str]  # the header as the file writes it

    def title(self, key: str) -> str:
        return self.titles.get(key) or COLUMN_BY_KEY[key].title


class Snapshot:
    """The register as this validation sees it, loaded in a fixed number of queries."""

    def __init__(self, user: User, years: Sequence[int]) -> None:
        self.municipalities = {m.pk: m for m in Municipality.objects.select_related("region")}
        self.allowed = set(municipalities_visible_to(user).values_list("pk", flat=True))
        self.schools = {s.pk: s for s in School.objects.select_related("municipality")}
        aliases = list(SchoolAlias.objects.only("school_id", "kind", "value", "normalized"))
        self.resolver = SchoolResolver(self.schools.values(), aliases)
        self.name_aliases: dict[int, set[str]] = defaultdict(set)
        for alias in aliases:
            if alias.kind == SchoolAlias.Kind.NAME:
                self.name_aliases[alias.school_id].add(alias.normalized)
        # (municipality, normalized name) → school: to warn of a new school that may already exist.
        self.by_name: dict[tuple[int, str], int] = {}
        for school in self.schools.values():
            names = {normalize_name(school.full_name), normalize_name(school.short_name)}
            for name in names | self.name_aliases.get(school.pk, set()):
                self.by_name.setdefault((school.municipality_id, name), school.pk)
        self.enrolments = {
            (school_id, year): pupils
            for school_id, year, pupils in SchoolEnrolment.objects.filter(
                academic_year__start_year__in=list(years)
            ).values_list("school_id", "academic_year__start_year", "pupils")
        }
        self._by_word: dict[str, list[Municipality]] = defaultdict(list)
        for municipality in self.municipalities.values():
            for word in {fold(municipality.name), fold(municipality.code)}:
                self._by_word[word].append(municipality)

    def municipality(self, value: str) -> Municipality:
        found = self._by_word.get(fold(value), [])
        if len(found) > 1:
            found = [m for m in found if m.pk in self.allowed] or found
        if len(found) == 1:
            if found[0].pk not in self.allowed:
                raise CellError(
                    _("you may not import schools of the municipality «%(value)s»") % {"value": value}
                )
            return found[0]
        if found:
            raise CellError(
                _("«%(value)s» names several municipalities; give the municipality's code instead")
                % {"value": value}
            )
        message = _("unknown municipality «%(value)s»") % {"value": value}
        names = {fold(m.name): m.name for m in self.municipalities.values() if m.pk in self.allowed}
        best = process.extractOne(fold(value), list(names), scorer=fuzz.WRatio, score_cutoff=70)
        if best:
            message += "; " + _("did you mean «%(name)s»?") % {"name": names[best[0]]}
        raise CellError(message)


class Planner:
    """Turns parsed, error-free rows into a plan, reporting what only the register can reveal."""

    def __init__(self, *, problem: Callable[..., None], file_logins: set[str]) -> None:
        self._problem = problem
        self.file_logins = file_logins

    def plan(self, parsed: list[ParsedRow], columns: Columns, snapshot: Snapshot) -> RegisterPlan:
        resolver = snapshot.resolver
        matched: dict[int, int] = {}  # school id → row
        school_of: dict[str, int | None] = {}  # file login → existing school id (None: a new school)
        good: list[ParsedRow] = []
        for p in parsed:
            school_id = self._match(p, columns, snapshot)
            if school_id is False:
                continue
            if isinstance(school_id, int):
                if school_id in matched:
                    self._problem(
                        p.number,
                        columns.title("fis_oko_login"),
                        _("this row describes the same school of the register as row %(row)s")
                        % {"row": matched[school_id]},
                    )
                    continue
                matched[school_id] = p.number
            school_of[p.login] = school_id if isinstance(school_id, int) else None
            good.append(p)

        def successor_ref(p: ParsedRow) -> SuccessorRef | bool | None:
            login = p.values.get("successor")
            if not login:
                return None
            if login in self.file_logins:
                return SuccessorRef(login, school_of.get(login))
            found = resolver.resolve(login=login)
            if found.school_id is None:
                self._problem(
                    p.number,
                    columns.title("successor"),
                    _("the successor %(login)s is found neither in this file nor in the register")
                    % {"login": login},
                )
                return False
            return SuccessorRef(login, found.school_id)

        refs = {p.login: successor_ref(p) for p in good}
        self._check_successor_loops(good, refs, school_of, snapshot, columns)
        plan = RegisterPlan()
        for p in good:
            ref = refs[p.login]
            if ref is False:
                continue
            if "successor" in p.values:
                p.values["successor"] = ref
            school_id = school_of[p.login]
            if school_id is None:
                created = self._plan_create(p, columns, snapshot, set(matched))
                if created is not None:
                    plan.schools.append(created)
            else:
                plan.schools.append(self._plan_update(p, snapshot.schools[school_id], snapshot))
        return plan

    def _match(self, p: ParsedRow, columns: Columns, snapshot: Snapshot) -> int | bool | None:
        """The existing school the row describes, None for a new school, False on a problem."""
        resolution = snapshot.resolver.resolve(login=p.login)
        column = "fis_oko_login"
        if not resolution.resolved and not resolution.ambiguous and p.values.get("inn"):
            resolution = snapshot.resolver.resolve(inn=p.values["inn"])
            column = "inn"
        if resolution.ambiguous:
            self._problem(
                p.number,
                columns.title(column),
                _(
                    "several schools of the register have this %(what)s: %(schools)s; "
                    "the row cannot be matched"
                )
                % {
                    "what": _("login") if column == "fis_oko_login" else _("INN"),
                    "schools": ", ".join(f"«{s.name}»" for s in resolution.suggestions),
                },
            )
            return False
        if resolution.school_id is None:
            return None
        school = snapshot.schools[resolution.school_id]
        if school.municipality_id not in snapshot.allowed:
            self._problem(
                p.number,
                columns.title(column),
                _("the school %(login)s is in a municipality you may not import into") % {"login": p.login},
            )
            return False
        if school.fis_oko_login and school.fis_oko_login != p.login:
            self._problem(
                p.number,
                columns.title(column),
                _(
                    "the school «%(name)s» is found by %(what)s; its FIS OKO login will change "
                    "from %(old)s to %(new)s. If this is another organisation (a branch), give it its own INN"
                )
                % {
                    "name": school.short_name,
                    "what": _("login") if column == "fis_oko_login" else _("INN"),
                    "old": school.fis_oko_login,
                    "new": p.login,
                },
                warning=True,
            )
        return school.pk

    def _check_successor_loops(
        self,
        good: list[ParsedRow],
        refs: dict[str, SuccessorRef | bool | None],
        school_of: dict[str, int | None],
        snapshot: Snapshot,
        columns: Columns,
    ) -> None:
        def node(login: str, school_id: int | None) -> object:
            return school_id if school_id is not None else f"new:{login}"

        graph: dict[object, object] = {
            pk: s.successor_id for pk, s in snapshot.schools.items() if s.successor_id is not None
        }
        for p in good:
            ref = refs[p.login]
            if "successor" not in p.values or ref is False:
                continue
            key = node(p.login, school_of[p.login])
            graph.pop(key, None)
            if isinstance(ref, SuccessorRef):
                graph[key] = node(ref.login, ref.school_id)
        for p in good:
            start = node(p.login, school_of[p.login])
            seen = {start}
            current = graph.get(start)
            while current is not None and current not in seen:
                seen.add(current)
                current = graph.get(current)
            if current == start:
                self._problem(
                    p.number,
                    columns.title("successor"),
                    _("the chain of successors loops back to this school"),
                )
                refs[p.login] = False

    def _plan_create(
        self, p: ParsedRow, columns: Columns, snapshot: Snapshot, matched: set[int]
    ) -> SchoolPlan | None:
        values: dict[str, Any] = {
            "inn": "",
            "ogrn": "",
            "settlement": "",
            "settlement_population": None,
            "address": "",
            "latitude": None,
            "longitude": None,
            "status": School.Status.ACTIVE,
            "successor": None,
            **p.values,
        }
        if not values.get("location"):
            self._problem(
                p.number,
                columns.title("location"),
                _("a new school needs its location: add the column «Местность» (город or село)"),
            )
            return None
        municipality: Municipality = values["municipality"]
        for name in (values["full_name"], values["short_name"]):
            found = snapshot.by_name.get((municipality.pk, normalize_name(name)))
            if found is not None and found not in matched:
                other = snapshot.schools[found]
                self._problem(
                    p.number,
                    columns.title("short_name"),
                    _(
                        "the municipality already has a school of this name: «%(name)s» (login %(login)s). "
                        "If it is the same school, give its login"
                    )
                    % {"name": other.short_name, "login": other.fis_oko_login or "—"},
                    warning=True,
                )
                break
        own = {normalize_name(values["full_name"]), normalize_name(values["short_name"])}
        return SchoolPlan(
            row=p.number,
            login=p.login,
            action=CREATE,
            school_id=None,
            values=values,
            changes=[],
            new_names=_new_names(p.other_names, own),
            enrolment=p.enrolment,
            short_name=values["short_name"],
            municipality=municipality.name,
        )

    def _plan_update(self, p: ParsedRow, school: School, snapshot: Snapshot) -> SchoolPlan:
        changed: dict[str, Any] = {}
        changes: list[dict[str, str]] = []
        for name in SCHOOL_FIELDS:
            if name not in p.values:
                continue
            new = p.values[name]
            if _comparable(new) != _current(school, name):
                changed[name] = new
                changes.append(
                    {
                        "column": COLUMN_BY_KEY[name].title,
                        "old": _label(name, _current(school, name), snapshot),
                        "new": _label(name, _comparable(new), snapshot, new),
                    }
                )
        target_names = {
            normalize_name(p.values.get("full_name") or school.full_name),
            normalize_name(p.values.get("short_name") or school.short_name),
        }
        new_names = _new_names(p.other_names, target_names | snapshot.name_aliases[school.pk])
        if new_names:
            changes.append(
                {
                    "column": COLUMN_BY_KEY["other_names"].title,
                    "old": "",
                    "new": "; ".join(new_names),
                }
            )
        enrolment = None
        if p.enrolment is not None:
            year, pupils = p.enrolment
            old = snapshot.enrolments.get((school.pk, year))
            if old != pupils:
                enrolment = p.enrolment
                changes.append(
                    {
                        "column": f"{COLUMN_BY_KEY['pupils'].title} {year_label(year)}",
                        "old": "" if old is None else str(old),
                        "new": str(pupils),
                    }
                )
        return SchoolPlan(
            row=p.number,
            login=p.login,
            action=UPDATE if changes else UNCHANGED,
            school_id=school.pk,
            values=changed,
            changes=changes,
            new_names=new_names,
            enrolment=enrolment,
            short_name=p.values.get("short_name") or school.short_name,
            municipality=p.values["municipality"].name,
        )


def _new_names(names: list[str], known: set[str]) -> list[str]:
    result: list[str] = []
    seen = set(known)
    for name in names:
        normalized = normalize_alias(SchoolAlias.Kind.NAME, name)
        if normalized and normalized not in seen:
            seen.add(normalized)
            result.append(name)
    return result


def _comparable(value: Any) -> Any:
    if isinstance(value, Municipality):
        return value.pk
    if isinstance(value, SuccessorRef):
        return value.school_id if value.school_id is not None else f"new:{value.login}"
    return value


def _current(school: School, name: str) -> Any:
    if name in ("municipality", "successor"):
        return getattr(school, f"{name}_id")
    value = getattr(school, name)
    if name == "fis_oko_login":
        return value or ""
    return value


def _label(name: str, value: Any, snapshot: Snapshot, raw: Any = None) -> str:
    """A value as the preview shows it, in the words of the format."""
    if value is None or value == "":
        return ""
    if name == "municipality":
        return snapshot.municipalities[value].name
    if name == "successor":
        if isinstance(raw, SuccessorRef):
            return raw.login
        successor = snapshot.schools.get(value)
        return (successor.fis_oko_login or successor.short_name) if successor else str(value)
    vocabularies: dict[str, dict[str, str]] = {
        "kind": KIND_LABELS,
        "location": LOCATION_LABELS,
        "status": STATUS_LABELS,
    }
    labels = vocabularies.get(name)
    if labels is not None:
        return labels.get(value, str(value))
    if isinstance(value, Decimal):
        return decimal_label(value)
    return str(value)
