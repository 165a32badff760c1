"""Serve Majlis with uvicorn (HTTP and WebSocket), configured from HOST, PORT, WORKERS and REDIS_URL."""

import os
import shutil
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _workers() -> int:
    raw = os.environ.get("WORKERS", "1") or "1"
    try:
        workers = int(raw)
    except ValueError:
        raise CommandError(f"WORKERS must be a whole number, not {raw!r}.") from None
    if workers < 1:
        raise CommandError("WORKERS must be at least 1.")
    return workers


UVICORN_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _log_level() -> str:
    """LOG_LEVEL (the Django setting's level, docs/operations.md) as uvicorn's --log-level."""
    raw = (os.environ.get("LOG_LEVEL") or "INFO").strip().lower()
    level = {"warn": "warning", "fatal": "critical"}.get(raw, raw)
    if level not in UVICORN_LOG_LEVELS:
        raise CommandError(f"LOG_LEVEL must be one of {', '.join(UVICORN_LOG_LEVELS).upper()}, not {raw!r}.")
    return level


class Command(BaseCommand):
    help = "Serve the app with uvicorn (HTTP + WebSocket). Honours HOST, PORT, WORKERS, REDIS_URL, DATABASE_URL."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only check the environment, then exit.")

    def handle(self, *args, check=False, **options):
        workers = _workers()
        _log_level()  # a wrong level is refused before anything starts
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError(
                f"WORKERS={workers} needs REDIS_URL: the in-memory channel layer cannot span processes, so screens "
                "connected to one worker would miss changes made through another. Set REDIS_URL=redis://host:6379/0, "
                "or run with WORKERS=1."
            )
        if workers > 1 and "sqlite" in settings.DATABASES["default"]["ENGINE"]:
            self.stderr.write(
                self.style.WARNING("Several workers on SQLite work, but PostgreSQL (DATABASE_URL) is recommended.")
            )
        host = os.environ.get("HOST", "127.0.0.1")
        port = os.environ.get("PORT", "8000")
        if check:
            return
        uvicorn = shutil.which("uvicorn", path=os.path.dirname(sys.executable)) or "uvicorn"
        argv = [
            uvicorn, "config.asgi:application", "--host", host, "--port", str(port), "--workers", str(workers),
            "--lifespan", "off", "--ws", "websockets-sansio",  # states are written to it as ready-made frames
            "--ws-max-size", "65536", "--timeout-keep-alive", "30",
            "--ws-ping-interval", "20", "--no-server-header", "--backlog", os.environ.get("BACKLOG", "4096"),
            # Compression costs each socket ~300 KB of zlib state on the server for state messages of a few KB.
            "--ws-per-message-deflate", os.environ.get("WS_DEFLATE", "false"),
            "--proxy-headers", "--forwarded-allow-ips", os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]  # fmt: skip
        # uvicorn configures its own loggers: without --log-level it logs at INFO whatever LOG_LEVEL says (a line
        # per WebSocket opened and another per socket closed, 4,000 and more for a room of 2,000).
        log_level = _log_level()
        argv += ["--log-level", log_level]
        if log_level != "debug":
            argv += ["--no-access-log"]
        self.stdout.write(f"Serving Majlis on http://{host}:{port}/ with {workers} worker(s). Ctrl+C stops it.")
        sys.stdout.flush()
        os.execv(argv[0], argv) if os.path.isabs(argv[0]) else os.execvp(argv[0], argv)  # noqa: S606
