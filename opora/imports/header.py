"""Matching a file's header row against a format's columns: shared by every tabular importer."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from opora.imports.readers import Row
from opora.imports.register.format import Column, fold


@dataclass
class HeaderProblem:
    column: str  # the header cell it concerns, or "" for the header as a whole
    message: str
    warning: bool = False


@dataclass
class HeaderMatch:
    index: dict[str, int] = field(default_factory=dict)  # column key → position in the row
    titles: dict[str, str] = field(default_factory=dict)  # column key → the title as the file spells it
    missing: list[str] = field(default_factory=list)  # titles of the required columns not found
    problems: list[HeaderProblem] = field(default_factory=list)


def header_match(
    header: Sequence[str], rows: Sequence[Row], *, columns: Sequence[Column], words: Mapping[str, str]
) -> HeaderMatch:
    """Find each known column by its folded title or key; report duplicates, missing required columns
    (errors), and unknown columns or unnamed columns holding data (warnings)."""
    found = HeaderMatch()
    unknown: list[str] = []
    unnamed: list[int] = []
    for position, raw in enumerate(header):
        title = raw.strip()
        if not title:
            unnamed.append(position)
            continue
        key = words.get(fold(title))
        if key is None:
            unknown.append(title)
        elif key in found.index:
            found.problems.append(HeaderProblem(title, _("the column appears twice; leave one of them")))
        else:
            found.index[key] = position
            found.titles[key] = title
    found.missing = missing = [c.title for c in columns if c.required and c.key not in found.index]
    if missing:
        found.problems.append(
            HeaderProblem(
                "",
                _("required columns are missing: %(columns)s. Check the header row against the format")
                % {"columns": ", ".join(f"«{m}»" for m in missing)},
            )
        )
    if unknown:
        found.problems.append(
            HeaderProblem(
                "",
                _("unknown columns are ignored: %(columns)s")
                % {"columns": ", ".join(f"«{u}»" for u in unknown)},
                warning=True,
            )
        )
    if unnamed and any(row.get(i).strip() for row in rows for i in unnamed):
        found.problems.append(
            HeaderProblem("", _("a column without a header holds data; it is ignored"), warning=True)
        )
    return found
