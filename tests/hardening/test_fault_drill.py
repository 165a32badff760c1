"""The fault drill (docs/operations.md): a room votes while Redis is killed and restarted, one ASGI worker is killed
(its supervisor starts another) and PostgreSQL restarts. No acknowledged ballot may be lost or doubled, and every
screen must show the database's tally within 10 s of each service coming back.

Everything runs privately: a PostgreSQL cluster (initdb) and a redis-server on free ports in a temporary
directory, and `manage.py serve` with two workers against them; the shared PostgreSQL and Redis of the machine are
never touched. About a minute and a half. Marked postgres and redis (it runs in the PostgreSQL + Redis pass of CI),
and skipped where redis-server or PostgreSQL's binaries are missing.

By hand: DATABASE_URL=postgres://x REDIS_URL=redis://x .venv/bin/python -m pytest tests/hardening/test_fault_drill.py
(the two variables only enable the markers; the drill uses neither).
"""

import asyncio
import concurrent.futures
import json
import logging
import os
import random
import shutil
import signal
import time

import httpx
import psycopg
import pytest
from websockets.asyncio.client import connect

from .faultdrill import PrivatePostgres, PrivateRedis, Server, manage, postgres_bin, server_env, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        shutil.which("redis-server") is None or postgres_bin() is None,
        reason="the fault drill needs redis-server and PostgreSQL's initdb/pg_ctl",
    ),
]

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

VOTERS = int(os.environ.get("MAJLIS_DRILL_VOTERS", "240"))  # each holds a screen (WebSocket) and votes
ITEMS = 4
RECOVERY_SECONDS = 10.0


class Screen:
    """A participant's screen: keeps the newest state it was sent; reconnects (with back-off) when dropped."""

    def __init__(self, ws_url: str, token: str):
        self.ws_url, self.token = ws_url, token
        self.version = 0
        self.votes: dict[int, int] = {}
        self.reconnects = 0
        self.failures = 0
        self.stopped = False

    async def run(self) -> None:
        delay = 0.2
        while not self.stopped:
            try:
                async with connect(self.ws_url, open_timeout=5, close_timeout=1) as ws:
                    await ws.send(json.dumps({"type": "hello", "token": self.token}))
                    delay = 0.2
                    async for raw in ws:
                        message = json.loads(raw)
                        if message.get("type") == "state" and message["version"] >= self.version:
                            self.version = message["version"]
                            self.votes = {i["id"]: i["votes"] for i in message["items"]}
                        if self.stopped:
                            return
            except Exception:  # refused, dropped or timed out: the screen reconnects below, as live.js does
                self.failures += 1
            if self.stopped:
                return
            self.reconnects += 1
            await asyncio.sleep(delay + random.random() * 0.3)
            delay = min(delay * 2, 2.0)


class Voter:
    """Casts one approval ballot on each item, retrying (same request, same Idempotency-Key) until acknowledged."""

    def __init__(self, base: str, code: str, token: str, participant: int, items: list[int]):
        self.base, self.code, self.token, self.participant = base, code, token, participant
        self.items = items
        self.acknowledged: list[int] = []
        self.retries = 0

    async def run(self, client: httpx.AsyncClient, spread: float) -> None:
        for item in self.items:
            await asyncio.sleep(random.random() * spread)
            key = f"{self.participant}-{item}"
            delay = 0.2
            while True:
                try:
                    response = await client.post(
                        f"{self.base}/api/v1/sessions/{self.code}/votes",
                        json={"item": item, "points": 1},
                        headers={"Authorization": f"Participant {self.token}", "Idempotency-Key": key},
                        timeout=10,
                    )
                    if response.status_code in (200, 201):
                        assert response.json()["item"] == item
                        self.acknowledged.append(item)
                        break
                    assert response.status_code >= 500 or response.status_code == 429, response.text
                except (httpx.TransportError, httpx.TimeoutException):
                    pass
                self.retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)


def _db_state(database_url: str, session_id: int) -> tuple[int, dict[int, int]]:
    with psycopg.connect(database_url, connect_timeout=3) as conn:
        version = conn.execute("SELECT version FROM consultations_session WHERE id = %s", [session_id]).fetchone()[0]
        rows = conn.execute(
            "SELECT item_id, SUM(points) FROM consultations_ballot WHERE session_id = %s GROUP BY item_id",
            [session_id],
        ).fetchall()
    return version, {item: int(total) for item, total in rows}


def _ballots(database_url: str, session_id: int) -> list[tuple[int, int]]:
    with psycopg.connect(database_url, connect_timeout=3) as conn:
        return conn.execute(
            "SELECT participant_id, item_id FROM consultations_ballot WHERE session_id = %s", [session_id]
        ).fetchall()


async def _screens_reach(screens, version: int, since: float) -> float:
    """Seconds from `since` until every screen shows at least `version` (fails after RECOVERY_SECONDS)."""
    while time.monotonic() - since < RECOVERY_SECONDS:
        if all(s.version >= version for s in screens):
            return time.monotonic() - since
        await asyncio.sleep(0.1)
    behind = [s.version for s in screens if s.version < version]
    raise AssertionError(
        f"{len(behind)} screens still behind version {version} after {RECOVERY_SECONDS} s: {behind[:10]}"
    )


def test_no_acknowledged_ballot_is_lost_or_doubled_and_screens_catch_up(tmp_path):
    postgres, redis = PrivatePostgres(), PrivateRedis()
    server = None
    try:
        postgres.init()
        redis.start()
        env = server_env(postgres.url, redis.url)
        manage(env, "migrate", "--no-input", "-v", "0")
        fes = next(c for c in json.loads(manage(env, "seed_demo", "--json"))["cities"] if c["slug"] == "fes")
        server = Server(env, workers=2, log=tmp_path / "server.log")
        server.start()
        # In a thread of its own: another test's tool (Playwright's sync API) may hold an event loop in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as own:
            report = own.submit(lambda: asyncio.run(_drill(server, postgres, redis, fes))).result()
    finally:
        if server is not None:
            server.stop()
        redis.kill()
        postgres.stop("immediate")
        postgres.remove()
    print("fault drill:", report)


async def _drill(server: Server, postgres: PrivatePostgres, redis: PrivateRedis, fes: dict) -> dict:
    base, code = server.base, fes["join_code"]
    staff = {"Authorization": f"Token {fes['api_token']}"}
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits) as client:
        # The room: the facilitator opens challenges, three items come in and are approved, voting opens with
        # results shown to participants (so their screens carry the tallies).
        async def staff_post(path, body=None):
            response = await client.post(f"{base}/api/v1/sessions/{code}/{path}", json=body or {}, headers=staff)
            assert response.status_code == 200, response.text
            return response.json()

        await staff_post("phase", {"phase": "challenges"})
        authors = []
        for _ in range(ITEMS):
            joined = (await client.post(f"{base}/api/v1/sessions/{code}/join", json={"consent": True})).json()
            authors.append(joined)
        items = []
        for n, author in enumerate(authors):
            response = await client.post(
                f"{base}/api/v1/sessions/{code}/items",
                json={"kind": "challenge", "text": f"Challenge number {n} of the drill"},
                headers={"Authorization": f"Participant {author['token']}", "Idempotency-Key": f"item-{n}"},
            )
            assert response.status_code == 201, response.text
            items.append(response.json()["id"])
            await staff_post(f"items/{items[-1]}/moderation", {"action": "approve"})
        await staff_post("phase", {"phase": "challenge_voting"})
        await staff_post("results-visible", {"value": True})
        session_id = authors[0]["session"]["id"]

        joins = [client.post(f"{base}/api/v1/sessions/{code}/join", json={"consent": True}) for _ in range(VOTERS)]
        people = [r.json() for r in await asyncio.gather(*joins)]
        ws_url = f"ws://127.0.0.1:{server.port}/ws/sessions/{code}/"
        screens = [Screen(ws_url, p["token"]) for p in people]
        screen_tasks = [asyncio.create_task(s.run()) for s in screens]
        voters = [Voter(base, code, p["token"], p["participant"], random.sample(items, k=3)) for p in people]
        await _screens_reach(screens, _db_state(postgres.url, session_id)[0], time.monotonic())

        loop = asyncio.get_running_loop()
        voting = asyncio.gather(*(v.run(client, spread=8.0) for v in voters))
        recoveries = {}

        async def recovered(name: str) -> None:
            since = time.monotonic()
            version, _ = await loop.run_in_executor(None, _db_state, postgres.url, session_id)
            recoveries[name] = round(await _screens_reach(screens, version, since), 2)

        # 1. Redis dies in the middle of voting and comes back 3 s later (empty: it keeps nothing on disk).
        await asyncio.sleep(2)
        redis.kill()
        await asyncio.sleep(3)
        redis.start()
        await recovered("redis")

        # 2. One worker is killed; uvicorn's supervisor starts a new one; its screens reconnect to either.
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        await loop.run_in_executor(
            None,
            lambda: wait_for(
                lambda: victim not in server.worker_pids() and len(server.worker_pids()) == 2, 60, "a new worker"
            ),
        )
        await recovered("worker")

        # 3. PostgreSQL restarts (a fast shutdown, as a package upgrade or a failover would do).
        await loop.run_in_executor(None, postgres.stop)
        await asyncio.sleep(2)
        await loop.run_in_executor(None, postgres.start)
        await recovered("postgres")

        await asyncio.wait_for(voting, timeout=120)
        final_version, final_tally = await loop.run_in_executor(None, _db_state, postgres.url, session_id)
        waited = await _screens_reach(screens, final_version, time.monotonic())
        for screen in screens:
            assert screen.votes == {i: final_tally.get(i, 0) for i in items}, "a screen shows another tally"
        # A quiet room: one more ballot, through one worker only. The screens held by the other worker learn of it
        # only through Redis, which restarted empty: its hub must have joined its groups again.
        latecomer = (await client.post(f"{base}/api/v1/sessions/{code}/join", json={"consent": True})).json()
        async with httpx.AsyncClient() as single:
            response = await single.post(
                f"{base}/api/v1/sessions/{code}/votes",
                json={"item": items[0], "points": 1},
                headers={"Authorization": f"Participant {latecomer['token']}"},
            )
        assert response.status_code == 201, response.text
        quiet_version, quiet_tally = await loop.run_in_executor(None, _db_state, postgres.url, session_id)
        recoveries["quiet_cross_worker"] = round(await _screens_reach(screens, quiet_version, time.monotonic()), 2)
        assert all(s.votes[items[0]] == quiet_tally[items[0]] for s in screens)
        voters.append(Voter(base, code, latecomer["token"], latecomer["participant"], []))
        voters[-1].acknowledged.append(items[0])
        for screen in screens:
            screen.stopped = True
        for task in screen_tasks:
            task.cancel()
        await asyncio.gather(*screen_tasks, return_exceptions=True)

    acknowledged = sorted((v.participant, item) for v in voters for item in v.acknowledged)
    stored = sorted(await loop.run_in_executor(None, _ballots, postgres.url, session_id))
    assert len(acknowledged) == VOTERS * 3 + 1 and len(set(acknowledged)) == len(acknowledged)
    assert stored == acknowledged, "the database's ballots differ from the acknowledged ones (lost or doubled)"
    return {
        "voters": VOTERS,
        "ballots": len(stored),
        "retries": sum(v.retries for v in voters),
        "reconnects": sum(s.reconnects for s in screens),
        "seconds_to_catch_up": recoveries,
        "final_catch_up": round(waited, 2),
    }
