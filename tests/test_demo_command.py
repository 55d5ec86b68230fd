"""The README's main path, as a user runs it: `opora demo` on an embedded database that does not exist yet."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPORA_", "DJANGO_", "DATABASE_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.local", "OPORA_DATA_DIR": str(data_dir)})
    return subprocess.run(
        [sys.executable, "manage.py", "demo", "--schools", "40"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_it_builds_the_demo_into_a_fresh_data_directory_and_reuses_it(tmp_path):
    data_dir = tmp_path / "not" / "yet" / "there"
    first = _demo(data_dir)
    assert first.returncode == 0, first.stderr
    assert (data_dir / "opora.sqlite3").exists()
    assert "municipal" in first.stdout and "http://127.0.0.1:8000/" in first.stdout
    again = _demo(data_dir)
    assert again.returncode == 0, again.stderr
    assert "уже" in again.stdout  # already built: the logins are printed again, nothing is rebuilt
    assert first.stdout.split("Логин")[1] == again.stdout.split("Логин")[1]
