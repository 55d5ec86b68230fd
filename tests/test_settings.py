"""Production settings: no default secret, deployment checks clean, bad environment values fail loudly."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPORA_", "DJANGO_", "DATABASE_"))}
    clean.update(
        {"DJANGO_SETTINGS_MODULE": "config.settings.production", "DATABASE_URL": "sqlite://:memory:"}
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_it_refuses_to_start_production_without_a_secret_key():
    result = _manage("check")
    assert result.returncode != 0
    assert "OPORA_SECRET_KEY is required" in result.stderr


def test_it_passes_the_deployment_checks_with_production_settings():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", OPORA_SECRET_KEY=secrets.token_urlsafe(60)
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_it_rejects_a_bad_boolean(monkeypatch, value):
    monkeypatch.setenv("OPORA_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="OPORA_FLAG"):
        env_bool("OPORA_FLAG", default=False)


def test_it_reads_good_values(monkeypatch):
    monkeypatch.setenv("OPORA_FLAG", " Off ")
    monkeypatch.setenv("OPORA_N", "12")
    assert env_bool("OPORA_FLAG", default=True) is False
    assert env_int("OPORA_N", 3) == 12
    monkeypatch.setenv("OPORA_N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="OPORA_N"):
        env_int("OPORA_N", 3)
