"""Production settings: `check --deploy` reports nothing (issue: foundation, hardening)."""

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "production-like-secret-key-for-the-check-only",
        "ALLOWED_HOSTS": "majlis.example.org",
        "MAJLIS_ERASURE_JOURNAL": str(tmp_path / "erasures.jsonl"),
    }
    env.pop("MAJLIS_TESTING", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def documented_production_variables() -> dict[str, str]:
    """The variables the `export` lines of docs/operations.md's "Production" section set, as written there."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = re.search(r"^## Production\b.*?(?=^## )", text, flags=re.MULTILINE | re.DOTALL).group(0)
    variables: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("export "):
            for assignment in shlex.split(line.removeprefix("export "), comments=True):
                name, _, value = assignment.partition("=")
                variables[name] = value
    return variables


def test_check_deploy_is_clean_with_exactly_the_variables_docs_operations_lists(tmp_path):
    """An operator who sets what docs/operations.md lists, and nothing else, passes `check --deploy`.

    Only what the page leaves to the operator is filled in: `...` (a secret: a random key of 64 characters, a
    password) and absolute paths, moved under a temporary folder (the check verifies that the service can write
    there). Nothing of the test run's environment is passed (no SECRET_KEY, DATABASE_URL or MAJLIS_* of ours)."""
    documented = documented_production_variables()
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"} <= set(documented)
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name, value in documented.items():
        if "..." in value:
            value = value.replace("...", secrets.token_urlsafe(48) if name == "SECRET_KEY" else "operator-secret")
        elif value.startswith("/"):
            value = str(tmp_path / value.lstrip("/"))
        env[name] = value
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def _setting(name: str, **environ: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **environ}
    for key in (
        "REDIS_URL",
        "MAJLIS_REALTIME_TICK",
        "MAJLIS_REALTIME_LARGE_TICK",
        "MAJLIS_TESTING",
        "MAJLIS_GIL_SWITCH_INTERVAL",
        "MAJLIS_GC_THRESHOLDS",
    ):
        if key not in environ:
            env.pop(key, None)
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_live_tick_grows_with_the_room_with_several_workers_and_both_can_be_set():
    redis = "redis://127.0.0.1:6379/15"
    assert _setting("MAJLIS_REALTIME_TICK") == _setting("MAJLIS_REALTIME_TICK", REDIS_URL=redis) == "0.1"
    assert _setting("MAJLIS_REALTIME_LARGE_TICK") == "0.1"  # embedded: one process, the tick whatever the room
    assert _setting("MAJLIS_REALTIME_LARGE_TICK", REDIS_URL=redis) == "0.2"
    assert _setting("MAJLIS_REALTIME_LARGE_TICK", MAJLIS_REALTIME_TICK="0.05") == "0.05"
    assert _setting("MAJLIS_REALTIME_TICK", REDIS_URL=redis, MAJLIS_REALTIME_TICK="0.05") == "0.05"
    assert _setting("MAJLIS_REALTIME_LARGE_TICK", REDIS_URL=redis, MAJLIS_REALTIME_LARGE_TICK="0.3") == "0.3"


def test_the_server_process_hands_the_interpreter_over_sooner_than_python_does():
    assert _setting("MAJLIS_GIL_SWITCH_INTERVAL") == "0.0005"
    assert _setting("MAJLIS_GIL_SWITCH_INTERVAL", MAJLIS_GIL_SWITCH_INTERVAL="0.002") == "0.002"
    result = _python(
        "import sys; import config.asgi; print(sys.getswitchinterval())", MAJLIS_GIL_SWITCH_INTERVAL="0.00025"
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip()) == 0.00025


def _python(code: str, **environ: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter with the production settings module and these variables."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **environ}
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_server_process_collects_garbage_less_often_than_python_does():
    default = "(20000, 20, 10)"
    assert _setting("MAJLIS_GC_THRESHOLDS") == _setting("MAJLIS_GC_THRESHOLDS", MAJLIS_GC_THRESHOLDS="") == default
    assert _setting("MAJLIS_GC_THRESHOLDS", MAJLIS_GC_THRESHOLDS="5000, 15, 5") == "(5000, 15, 5)"
    code = "import gc; import config.asgi; print(gc.get_threshold(), gc.get_freeze_count() > 0)"
    result = _python(code, MAJLIS_GC_THRESHOLDS="30000,20,10")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(30000,", "20,", "10)", "True"]


def test_a_bad_gc_threshold_setting_is_refused_with_the_reason():
    for raw in ("20000,20", "a,b,c", "20000,0,10", "20000,20,10,5"):
        result = _python("import django; django.setup()", MAJLIS_GC_THRESHOLDS=raw)
        assert result.returncode != 0
        assert "MAJLIS_GC_THRESHOLDS must be three whole numbers above 0" in result.stderr
