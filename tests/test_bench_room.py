"""bench.room, the scripted room of phones (docs/contributing.md): it follows a real server's phases and checks
each phone's record against the screens."""

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from types import SimpleNamespace

import pytest
from django.conf import settings

from bench import room
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("room")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name in ("REDIS_URL", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)

    def manage(*args):
        return subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, check=True, capture_output=True
        ).stdout

    manage("migrate", "--no-input", "-v", "0")
    seed = json.loads(manage("seed_demo", "--json"))["cities"][0]
    server = LiveServer(env)
    server.start()
    yield server, seed
    server.stop()


def staff(server, seed, method, path, body=None):
    request = urllib.request.Request(  # noqa: S310 - our local server
        f"{server.url}/api/v1{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {seed['api_token']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def test_the_scripted_room_writes_in_the_submission_phase_and_votes_in_the_voting_phase(served):
    server, seed = served
    code = seed["join_code"]

    def facilitator():
        time.sleep(3)  # the phones join and hold their sockets in the lobby
        staff(server, seed, "POST", f"/sessions/{code}/phase", {"phase": "challenges"})
        time.sleep(4)
        for item in staff(server, seed, "GET", f"/sessions/{code}/state")["items"]:
            if item["status"] == "pending" and item["text"] not in room.HELD:
                staff(server, seed, "POST", f"/sessions/{code}/items/{item['id']}/moderation", {"action": "approve"})
        staff(server, seed, "POST", f"/sessions/{code}/phase", {"phase": "challenge_voting"})
        time.sleep(4)
        staff(server, seed, "POST", f"/sessions/{code}/phase", {"phase": "closed"})

    thread = threading.Thread(target=facilitator)
    thread.start()
    args = SimpleNamespace(url=server.url, code=code, phones=26, spread=0.5, minutes=1.0, languages="ar,fr")
    result = {}  # the room runs its own event loop, in a thread of its own (the test's may have one running)
    runner = threading.Thread(target=lambda: result.update(asyncio.run(room.main_async(args))))
    runner.start()
    runner.join()
    thread.join()
    assert result["errors"] == [] and result["mismatches"] == []
    assert result["counts"]["joined"] == 26
    assert result["counts"]["wrote 201"] == 26
    assert result["counts"]["voted 201"] >= 26  # every phone voted at least once, on approved items
    state = staff(server, seed, "GET", f"/sessions/{code}/state")
    held = [it for it in state["items"] if it["status"] == "pending"]
    assert [it["text"] for it in held] == [room.HELD[0]]  # phone 25 wrote it; the facilitator left it waiting
    assert sum(it["votes"] for it in state["items"]) == result["counts"]["voted 201"]
