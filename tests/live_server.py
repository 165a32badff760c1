"""Real uvicorn servers of `config.asgi` for tests: a process (the tests that drive Chromium) or a thread of the
test process (uvicorn_in_thread, for socket tests that share the test database)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence

from django.conf import settings
from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn on a free port of 127.0.0.1; it can be stopped and started again on that port.

    env is the server's whole environment (its DATABASE_URL names the database it serves); options are more
    uvicorn options.
    """

    def __init__(self, env: dict, *, options: Sequence[str] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.options = list(options)
        self.proc = None

    def start(self):
        # Quiet: the console e-mail backend prints mails (uvicorn and Django log to stderr, which stays);
        # WhiteNoise's sync static files warn under ASGI.
        env = {
            **self.env,
            "SITE_URL": self.url,
            "PYTHONWARNINGS": "ignore:StreamingHttpResponse must consume synchronous iterators",
        }
        self.proc = subprocess.Popen(  # noqa: S603 - our own server
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *self.options,
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310 - local
                    return
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise
                time.sleep(0.1)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            self.proc = None


def server_for_test_database() -> LiveServer:
    """A LiveServer (not started) serving the test database of the running test, without Redis."""
    db = connection.settings_dict
    if "sqlite" in db["ENGINE"]:
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("REDIS_URL", None)
    return LiveServer(env)


def uvicorn_in_thread():
    """uvicorn serving `config.asgi` in a thread of this process (so it shares the test database), with
    websockets-sansio as in production. A generator for a fixture: yields the server's ws:// address, then stops
    it and resets the hub, whose event loop is gone with the thread."""
    import threading

    import uvicorn

    from config.asgi import application
    from consultations.live.hub import hub

    port = free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        lifespan="off",
        log_level="warning",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(100):
        if instance.started:
            break
        threading.Event().wait(0.05)
    yield f"ws://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)
    hub._reset()
