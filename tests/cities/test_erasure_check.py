"""The deploy check of the erasure journal (cities/checks.py; docs/operations.md, "Checks").

Without a writable journal, restoring a backup would bring erased people back, so `check --deploy` warns.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.utils import translation

from cities.checks import check_erasure_journal

ROOT = Path(__file__).resolve().parent.parent.parent


def _ids(journal: str, settings) -> list[str]:
    settings.MAJLIS_ERASURE_JOURNAL = journal
    return [message.id for message in check_erasure_journal(None)]


def test_an_unset_journal_is_warned_about(settings, monkeypatch):
    monkeypatch.delenv("MAJLIS_ERASURE_JOURNAL", raising=False)
    settings.MAJLIS_ERASURE_JOURNAL = ""
    with translation.override("en"):  # the words below are the English catalogue's, whatever ran before
        [warning] = check_erasure_journal(None)
    assert warning.id == "majlis.W001"
    assert "MAJLIS_ERASURE_JOURNAL" in warning.msg and "backup" in warning.msg
    assert "MAJLIS_ERASURE_JOURNAL" in warning.hint


def test_a_journal_in_a_writable_folder_passes_even_before_its_first_line(settings, tmp_path):
    assert _ids(str(tmp_path / "erasures.jsonl"), settings) == []
    assert _ids(str(tmp_path / "not" / "yet" / "there" / "erasures.jsonl"), settings) == []  # folders get created


def test_an_existing_writable_journal_passes(settings, tmp_path):
    journal = tmp_path / "erasures.jsonl"
    journal.write_text('{"kind": "councils.person", "id": 1}\n')
    assert _ids(str(journal), settings) == []


def test_a_journal_that_cannot_be_created_is_warned_about(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert _ids(str(blocker / "erasures.jsonl"), settings) == ["majlis.W002"]  # its "folder" is a file
    assert _ids(str(tmp_path), settings) == ["majlis.W002"]  # the journal itself is a folder


def test_a_read_only_folder_is_warned_about_with_its_path(settings, tmp_path, monkeypatch):
    # Simulated: the test may run as root, for whom every folder is writable.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    settings.MAJLIS_ERASURE_JOURNAL = str(tmp_path / "erasures.jsonl")
    [warning] = check_erasure_journal(None)
    assert warning.id == "majlis.W002"
    assert str(tmp_path / "erasures.jsonl") in warning.msg


def test_the_check_runs_only_with_deploy(settings, monkeypatch):
    monkeypatch.delenv("MAJLIS_ERASURE_JOURNAL", raising=False)
    settings.MAJLIS_ERASURE_JOURNAL = ""
    assert "majlis.W001" in [m.id for m in run_checks(include_deployment_checks=True)]
    assert "majlis.W001" not in [m.id for m in run_checks(include_deployment_checks=False)]


@pytest.mark.slow
def test_production_check_deploy_fails_without_the_journal():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "production-like-secret-key-for-the-check-only",
        "ALLOWED_HOSTS": "majlis.example.org",
    }
    env.pop("MAJLIS_TESTING", None)
    env.pop("MAJLIS_ERASURE_JOURNAL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "majlis.W001" in result.stderr + result.stdout
