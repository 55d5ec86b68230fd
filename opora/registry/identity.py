"""The identity map: one school, many names and ids. Every importer resolves schools through it.

A resolver is loaded once per import (a few queries), then answers in memory: an import of thousands of
files costs no query per row. `SchoolResolver.cached()` keeps the loaded resolver per process while the
register's fingerprint stays the same, so the jobs of a run (and the check and commit of one job) share it.
An unresolved school is never created; it gets fuzzy-matched suggestions.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Length
from rapidfuzz import fuzz, process

from opora.registry.models import School, SchoolAlias

_QUOTES = re.compile(r"[«»\"'“”„‘’`]")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"№\s*")
# Long legal forms and school types as they appear in full names, folded to the usual abbreviations.
_ABBREVIATIONS = [
    (re.compile(p), a)
    for p, a in [
        (r"муниципальное\s+бюджетное\s+общеобразовательное\s+учреждение", "мбоу"),
        (r"муниципальное\s+казенное\s+общеобразовательное\s+учреждение", "мкоу"),
        (r"муниципальное\s+автономное\s+общеобразовательное\s+учреждение", "маоу"),
        (r"муниципальное\s+общеобразовательное\s+учреждение", "моу"),
        (r"государственное\s+бюджетное\s+общеобразовательное\s+учреждение", "гбоу"),
        (r"государственное\s+казенное\s+общеобразовательное\s+учреждение", "гкоу"),
        (r"средняя\s+общеобразовательная\s+школа", "сош"),
        (r"основная\s+общеобразовательная\s+школа", "оош"),
        (r"начальная\s+общеобразовательная\s+школа", "нош"),
        (r"средняя\s+школа", "сш"),
        (r"основная\s+школа", "ош"),
        (r"\bсело\b", "с."),
        (r"\bпоселок\b", "п."),
        (r"\bдеревня\b", "д."),
        (r"\bгород\b", "г."),
    ]
]
_LEGAL_FORMS = re.compile(r"^(мбоу|мкоу|маоу|моу|гбоу|гкоу|мбу|мку)\s+")


def normalize_name(value: str) -> str:
    """Fold a school name to the form names are compared in: «МБОУ "СОШ №1"» → «мбоу сош №1»."""
    text = value.lower().replace("ё", "е")
    text = _QUOTES.sub(" ", text)
    text = _NUMBER.sub("№", text)
    text = _SPACES.sub(" ", text).strip()
    for pattern, abbreviation in _ABBREVIATIONS:
        text = pattern.sub(abbreviation, text)
    text = re.sub(r"\s*([.,])\s*", r"\1 ", text)
    return _SPACES.sub(" ", text).strip(" .,")


def _without_legal_form(normalized: str) -> str:
    return _LEGAL_FORMS.sub("", normalized)


def normalize_alias(kind: str, value: str) -> str:
    if kind == SchoolAlias.Kind.NAME:
        return normalize_name(value)
    if kind in (SchoolAlias.Kind.INN, SchoolAlias.Kind.OGRN):
        return re.sub(r"\D", "", value)
    return value.strip().lower()


@dataclass(frozen=True)
class Suggestion:
    school_id: int
    name: str
    municipality: str
    score: float
    login: str = ""


@dataclass
class Resolution:
    school_id: int | None
    matched_by: str = ""
    suggestions: list[Suggestion] = field(default_factory=list)
    ambiguous: bool = False

    @property
    def resolved(self) -> bool:
        return self.school_id is not None


@dataclass
class _Entry:
    school_id: int
    municipality_id: int
    name: str
    municipality: str
    login: str


class SchoolResolver:
    """Resolves schools by login, INN, OGRN or name, among the schools of the given municipalities."""

    def __init__(self, schools: Iterable[School], aliases: Iterable[SchoolAlias]) -> None:
        self._entries: dict[int, _Entry] = {}
        self._by_key: dict[tuple[str, str], set[int]] = defaultdict(set)
        for school in schools:
            self._entries[school.pk] = _Entry(
                school.pk,
                school.municipality_id,
                school.short_name,
                school.municipality.name,
                school.fis_oko_login or "",
            )
            if school.fis_oko_login:
                self._add(SchoolAlias.Kind.FIS_OKO_LOGIN, school.fis_oko_login, school.pk)
            if school.inn:
                self._add(SchoolAlias.Kind.INN, school.inn, school.pk)
            if school.ogrn:
                self._add(SchoolAlias.Kind.OGRN, school.ogrn, school.pk)
            for name in (school.full_name, school.short_name):
                self._add_name(name, school.pk)
        for alias in aliases:
            if alias.school_id not in self._entries:
                continue
            if alias.kind == SchoolAlias.Kind.NAME:
                self._add_name(alias.value, alias.school_id)
            else:
                self._add(alias.kind, alias.value, alias.school_id)
        self._names = {key[1]: ids for key, ids in self._by_key.items() if key[0] == SchoolAlias.Kind.NAME}

    @classmethod
    def load(cls, *, municipality_ids: Iterable[int] | None = None) -> "SchoolResolver":
        schools = School.objects.select_related("municipality")
        aliases = SchoolAlias.objects.all()
        if municipality_ids is not None:
            ids = list(municipality_ids)
            schools = schools.filter(municipality_id__in=ids)
            aliases = aliases.filter(school__municipality_id__in=ids)
        return cls(schools, aliases.only("school_id", "kind", "value"))

    @classmethod
    def cached(cls, *, municipality_ids: Iterable[int] | None = None) -> "SchoolResolver":
        """load(), reused within the process while the register's fingerprint is unchanged (2 queries).

        The fingerprint covers what the resolver reads: the schools (count, highest pk, latest
        updated_at, and their municipalities' latest updated_at, for the names) and the aliases (count,
        highest pk, latest created_at, sums of school ids and value lengths), so a new or removed school
        or alias, a school saved with new identifiers and a mapped unknown school are all seen at once.
        Not seen: a change written with QuerySet.update() that leaves updated_at as it was (call
        `SchoolResolver.cache_clear()` after one). The resolver returned is shared: callers only read it.
        """
        ids = None if municipality_ids is None else tuple(sorted(set(municipality_ids)))
        key = (connection.alias, connection.settings_dict["NAME"], ids)
        fingerprint = _fingerprint(ids)
        found = _CACHE.get(key)
        if found is not None and found[0] == fingerprint:
            return found[1]
        resolver = cls.load(municipality_ids=ids)
        _CACHE[key] = (fingerprint, resolver)
        return resolver

    @staticmethod
    def cache_clear() -> None:
        _CACHE.clear()

    def _add(self, kind: str, value: str, school_id: int) -> None:
        normalized = normalize_alias(kind, value)
        if normalized:
            self._by_key[(kind, normalized)].add(school_id)

    def _add_name(self, value: str, school_id: int) -> None:
        normalized = normalize_name(value)
        if normalized:
            self._by_key[(SchoolAlias.Kind.NAME, normalized)].add(school_id)
            self._by_key[(SchoolAlias.Kind.NAME, _without_legal_form(normalized))].add(school_id)

    def resolve(
        self,
        *,
        login: str = "",
        inn: str = "",
        ogrn: str = "",
        name: str = "",
        municipality_id: int | None = None,
    ) -> Resolution:
        for kind, value in (
            (SchoolAlias.Kind.FIS_OKO_LOGIN, login),
            (SchoolAlias.Kind.INN, inn),
            (SchoolAlias.Kind.OGRN, ogrn),
        ):
            if not value:
                continue
            ids = self._by_key.get((kind, normalize_alias(kind, value)), set())
            if len(ids) == 1:
                return Resolution(next(iter(ids)), matched_by=kind)
            if len(ids) > 1:
                return Resolution(None, ambiguous=True, suggestions=self._as_suggestions(ids, 100.0))
        if not name:
            return Resolution(None)
        normalized = normalize_name(name)
        for candidate in (normalized, _without_legal_form(normalized)):
            ids = self._in_municipality(self._names.get(candidate, set()), municipality_id)
            if len(ids) == 1:
                return Resolution(next(iter(ids)), matched_by=SchoolAlias.Kind.NAME)
            if len(ids) > 1:
                return Resolution(None, ambiguous=True, suggestions=self._as_suggestions(ids, 100.0))
        return Resolution(None, suggestions=self.suggest(name, municipality_id=municipality_id))

    def suggest(self, name: str, *, municipality_id: int | None = None, limit: int = 5) -> list[Suggestion]:
        """The schools whose names are closest to `name`, best first (scores 0-100)."""
        normalized = _without_legal_form(normalize_name(name))
        choices = {
            key: ids for key, ids in self._names.items() if self._in_municipality(ids, municipality_id)
        }
        best: dict[int, float] = {}
        for key, score, _index in process.extract(
            normalized, list(choices), scorer=fuzz.token_set_ratio, limit=limit * 4, score_cutoff=55
        ):
            for school_id in self._in_municipality(choices[key], municipality_id):
                best[school_id] = max(best.get(school_id, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._entries[item[0]].name))[:limit]
        return [self._suggestion(school_id, score) for school_id, score in ranked]

    def suggest_login(self, login: str, *, limit: int = 5) -> list[Suggestion]:
        """The schools whose ФИС ОКО logins are closest to a mistyped `login`, best first (scores 0-100)."""
        logins = {entry.login.lower(): pk for pk, entry in self._entries.items() if entry.login}
        found = process.extract(login.lower(), list(logins), scorer=fuzz.ratio, limit=limit, score_cutoff=75)
        return [self._suggestion(logins[key], float(score)) for key, score, _index in found]

    def _in_municipality(self, ids: set[int], municipality_id: int | None) -> set[int]:
        if municipality_id is None:
            return ids
        return {i for i in ids if self._entries[i].municipality_id == municipality_id}

    def _as_suggestions(self, ids: set[int], score: float) -> list[Suggestion]:
        return [self._suggestion(i, score) for i in sorted(ids)]

    def _suggestion(self, school_id: int, score: float) -> Suggestion:
        entry = self._entries[school_id]
        return Suggestion(school_id, entry.name, entry.municipality, round(score, 1), entry.login)


_CACHE: dict[tuple[str, Any, tuple[int, ...] | None], tuple[tuple[Any, ...], SchoolResolver]] = {}


def _fingerprint(municipality_ids: tuple[int, ...] | None) -> tuple[Any, ...]:
    """What changes whenever the resolver SchoolResolver.load() would build changes (see cached())."""
    schools = Q() if municipality_ids is None else Q(municipality_id__in=municipality_ids)
    aliases = Q() if municipality_ids is None else Q(school__municipality_id__in=municipality_ids)
    school = School.objects.filter(schools).aggregate(
        count=Count("pk"),
        top=Max("pk"),
        updated=Max("updated_at"),
        municipality_updated=Max("municipality__updated_at"),
    )
    alias = SchoolAlias.objects.filter(aliases).aggregate(
        count=Count("pk"),
        top=Max("pk"),
        created=Max("created_at"),
        schools=Sum("school_id"),
        length=Sum(Length("value")),
    )
    return (*school.values(), *alias.values())
