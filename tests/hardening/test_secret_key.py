"""No predictable secret in any mode: without SECRET_KEY (make run) the key is random, made once, kept private."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
REPO_KEY = ROOT / ".secret_key"


def _load(setting: str = "SECRET_KEY", module: str = "config.settings", **environ: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SECRET_KEY_FILE", "MAJLIS_TESTING"}}
    env.update(DJANGO_SETTINGS_MODULE=module, **environ)
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{setting})"
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _key(**environ: str) -> str:
    result = _load(**environ)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_secret_key_a_random_key_is_made_once_kept_private_and_reused(tmp_path):
    path = tmp_path / "data" / "secret_key"
    first = _key(DEBUG="1", SECRET_KEY_FILE=str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first
    assert _key(DEBUG="1", SECRET_KEY_FILE=str(path)) == first  # the next start signs with the same key
    assert len(first) >= 50 and "insecure" not in first
    assert str(ROOT) not in first and str(tmp_path) not in first
    # Not derived from anything a visitor could know: another file in the same place gets another key.
    (tmp_path / "data" / "again").mkdir()
    assert _key(DEBUG="1", SECRET_KEY_FILE=str(tmp_path / "data" / "again" / "secret_key")) != first
    assert sorted(p.name for p in path.parent.iterdir()) == ["again", "secret_key"]  # no draft left behind


def test_a_key_file_readable_by_others_is_made_private_again(tmp_path):
    path = tmp_path / "secret_key"
    first = _key(DEBUG="1", SECRET_KEY_FILE=str(path))
    path.chmod(0o644)
    assert _key(DEBUG="1", SECRET_KEY_FILE=str(path)) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_processes_starting_together_agree_on_one_key(tmp_path):
    path = tmp_path / "secret_key"
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "MAJLIS_TESTING"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", SECRET_KEY_FILE=str(path))
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(4)
    ]
    keys = {process.communicate(timeout=120)[0].strip() for process in processes}
    assert len(keys) == 1 and keys == {path.read_text().strip()}


def test_an_empty_key_file_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("")
    result = _load(DEBUG="1", SECRET_KEY_FILE=str(path))
    assert result.returncode != 0 and "is empty" in result.stderr


def test_the_default_key_file_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", str(REPO_KEY)], cwd=ROOT, capture_output=True)  # noqa: S603,S607
    assert result.returncode == 0, "the development key file must be git-ignored"


def test_production_requires_secret_key_and_never_makes_a_key_file(tmp_path):
    path = tmp_path / "secret_key"
    result = _load(DEBUG="0", SECRET_KEY_FILE=str(path))
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    assert not path.exists()


def test_the_test_settings_do_not_write_the_key_into_the_checkout():
    before = REPO_KEY.read_bytes() if REPO_KEY.exists() else None
    result = _load(module="config.test_settings")
    assert result.returncode == 0, result.stderr
    assert (REPO_KEY.read_bytes() if REPO_KEY.exists() else None) == before
    assert before is None or result.stdout.strip() != before.decode().strip()
