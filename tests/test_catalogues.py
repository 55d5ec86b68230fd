"""Every app's Russian catalogue is complete: no untranslated and no fuzzy entry reaches a user in English."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(ROOT.glob("opora/*/locale/ru/LC_MESSAGES/django.po"))


def _entries(text: str) -> list[tuple[bool, str, list[str]]]:
    """(fuzzy, msgid, msgstr forms) for each entry but the header."""
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                if current is not None:
                    fields[current] += ast.literal_eval(line)
                continue
            current, _, rest = line.partition(" ")
            fields[current] = ast.literal_eval(rest)
        if fields.get("msgid"):
            forms = [v for k, v in fields.items() if k.startswith("msgstr")]
            entries.append((fuzzy, fields["msgid"], forms))
    return entries


def test_every_app_with_strings_has_a_catalogue():
    assert {p.parts[-5] for p in CATALOGUES} >= {
        "core",
        "accounts",
        "registry",
        "imports",
        "demo",
        "assessments",
    }


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: p.parts[-5])
def test_it_translates_every_string(catalogue):
    entries = _entries(catalogue.read_text(encoding="utf-8"))
    assert entries
    untranslated = [msgid for fuzzy, msgid, forms in entries if fuzzy or not forms or not all(forms)]
    assert not untranslated, f"{catalogue}: {untranslated}"


def test_it_catches_an_untranslated_entry():
    text = (
        'msgid ""\nmsgstr ""\n"Language: ru\\n"\n\n'
        'msgid "school"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "a"\nmsgstr "б"\n'
    )
    assert [(f, m, forms) for f, m, forms in _entries(text)] == [(False, "school", [""]), (True, "a", ["б"])]
