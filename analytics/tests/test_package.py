"""The package stays pure (no Django) and its documented examples hold."""

import doctest
import subprocess
import sys
from pathlib import Path

import pytest

import analytics.indicators
import analytics.schema
import analytics.schema.validation
import analytics.shrinkage
import analytics.stats

ROOT = Path(__file__).resolve().parents[2]


def test_analytics_imports_neither_django_nor_the_product() -> None:
    # A fresh interpreter: this test process has Django loaded by pytest-django already.
    code = (
        "import sys, analytics.schema, analytics.stats, analytics.indicators; "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'opora', 'config'}); "
        "assert not loaded, loaded"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stderr


# doctest finds the examples of the functions a module defines, not of those it re-exports.
@pytest.mark.parametrize(
    "module", [analytics.schema.validation, analytics.stats, analytics.indicators, analytics.shrinkage]
)
def test_the_docstring_examples_hold(module: object) -> None:
    results = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)  # type: ignore[arg-type]
    assert results.attempted > 0
    assert results.failed == 0


@pytest.mark.parametrize("module", [analytics.schema, analytics.stats, analytics.indicators])
def test_every_public_name_is_documented(module: object) -> None:
    undocumented = [
        name
        for name in module.__all__  # type: ignore[attr-defined]
        if callable(obj := getattr(module, name)) and not (obj.__doc__ or "").strip()
    ]
    assert undocumented == []
