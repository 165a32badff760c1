"""`manage.py serve`: the uvicorn command line production runs (docs/operations.md), checked without starting it."""

import pytest
from django.core.management import CommandError, call_command

from frontend.management.commands import serve


def _argv(monkeypatch, **env) -> list[str]:
    for name in ("WORKERS", "WS_DEFLATE", "BACKLOG", "HOST", "PORT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    started = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: started.append(argv))
    monkeypatch.setattr(serve.os, "execvp", lambda path, argv: started.append(argv))
    call_command("serve")
    (argv,) = started
    return argv


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_sockets_run_on_websockets_sansio_without_compression_by_default(monkeypatch):
    argv = _argv(monkeypatch)
    # States are written to websockets-sansio connections as ready-made frames (consultations/live/sockets.py); zlib's
    # state would cost each socket ~300 KB.
    assert _option(argv, "--ws") == "websockets-sansio"
    assert _option(argv, "--ws-per-message-deflate") == "false"
    assert _option(argv, "--backlog") == "4096"
    assert _option(argv, "--workers") == "1"


def test_settings_come_from_the_environment(monkeypatch):
    argv = _argv(monkeypatch, WS_DEFLATE="true", BACKLOG="512", PORT="9001")
    assert _option(argv, "--ws-per-message-deflate") == "true"
    assert _option(argv, "--backlog") == "512"
    assert _option(argv, "--port") == "9001"


def test_the_servers_own_logs_follow_log_level(monkeypatch):
    # uvicorn sets up its own loggers at INFO unless told: LOG_LEVEL=WARNING must silence its line per socket too.
    assert _option(_argv(monkeypatch), "--log-level") == "info"
    argv = _argv(monkeypatch, LOG_LEVEL="WARNING")
    assert _option(argv, "--log-level") == "warning"
    assert "--no-access-log" in argv
    argv = _argv(monkeypatch, LOG_LEVEL="debug")
    assert _option(argv, "--log-level") == "debug"
    assert "--no-access-log" not in argv  # each request logged when debugging


def test_an_unknown_log_level_is_refused_before_starting(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: pytest.fail("started"))
    monkeypatch.setattr(serve.os, "execvp", lambda path, argv: pytest.fail("started"))
    with pytest.raises(CommandError, match="LOG_LEVEL"):
        call_command("serve")


def test_several_workers_need_redis(monkeypatch, settings):
    settings.REDIS_URL = ""
    monkeypatch.setenv("WORKERS", "2")
    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("serve")
