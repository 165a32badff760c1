"""N participants, split across client processes, each an asyncio loop of real WebSocket + HTTP clients.

A worker process is driven by its parent over a pipe, step by step:
``("join", ...)`` → join over HTTP, connect, authenticate, wait for the first state → ``("joined", stats)``;
``("vote", t0, window)`` → each client sends one ballot at a random moment of the window → ``("voted", n)``;
``("final", version, timeout)`` → wait until every screen has a state of at least that version →
``("done", records)``. Times are ``time.monotonic()`` (CLOCK_MONOTONIC: one clock for all processes).
"""

import asyncio
import json
import random
import re
import resource
import time
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from .rawhttp import Pool

CONNECT_CONCURRENCY = 64  # handshakes in flight per client process


def raise_open_files() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# The start of a state message, from the application (compact JSON) or the reference (json.dumps' spaces).
STATE_HEAD = re.compile(r'\{"type": ?"state", ?"version": ?(\d+)[,}]')


class Client:
    def __init__(self, index: int, items: list[int], reading: bool = True, sampled: bool = True):
        self.index = index
        self.items = items  # voted on in this order, one ballot each
        self.reading = reading
        self.sampled = sampled  # records the states it receives (vote-to-screen); a long run samples some clients
        self.token = ""
        self.ws = None
        self.join_s: float | None = None
        self.connect_s: float | None = None
        self.ballots: list[list] = []  # [item, t_sent, t_ack or None, version acknowledged or None]
        self.status: int | None = None
        self.max_version = 0
        self.states: list[tuple[float, int, dict]] = []  # (t, version, {item: votes}) once recording
        self.recording = False
        self.first_state = asyncio.Event()
        self.version_event = asyncio.Event()
        self.ack: asyncio.Future | None = None
        self.http: Pool | None = None  # its own keep-alive connection, as a phone has (unless the run shares a pool)
        self.reader: asyncio.Task | None = None
        self.error = ""

    def on_message(self, raw) -> None:
        t = time.monotonic()
        if not (self.recording and self.sampled):
            # A screen whose states are not recorded needs only the version: read it off the front of the text
            # rather than parse a whole state (thousands of screens times several states a second would make the
            # load generator, on the same cores as the server, the heaviest process of the run).
            head = STATE_HEAD.match(raw) if isinstance(raw, str) else None
            if head is not None:
                self.max_version = max(self.max_version, int(head.group(1)))
                self.first_state.set()
                self.version_event.set()
                return
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "state":
            self.max_version = max(self.max_version, message.get("version", 0))
            if self.recording and self.sampled:
                tallies = {it["id"]: it.get("votes") or 0 for it in message.get("items", [])}
                self.states.append((t, message["version"], tallies))
            self.first_state.set()
            self.version_event.set()
        elif kind == "ack" and self.ack is not None and not self.ack.done():
            self.ack.set_result(message)

    async def read_loop(self) -> None:
        try:
            async for raw in self.ws:
                self.on_message(raw)
        except Exception as exc:
            self.error = f"read: {exc!r}"
        finally:
            self.first_state.set()
            self.version_event.set()


class Worker:
    def __init__(self, cfg: dict, indices: list[int]):
        self.cfg = cfg
        rng = random.Random(cfg.get("seed", 1) * 1000 + (indices[0] if indices else 0))
        items = cfg["items"]
        per_client = cfg.get("ballots_per_client", 1)
        sample = cfg.get("sample_every", 1)
        not_reading = set(cfg.get("not_reading", []))
        self.clients = [
            Client(
                i,
                [items[(i + k) % len(items)] for k in range(per_client)],
                reading=i not in not_reading,
                sampled=i % sample == 0,
            )
            for i in indices
        ]
        self.rng = rng
        self.shared: Pool | None = None

    async def join_one(self, client: Client, gate: asyncio.Semaphore) -> None:
        cfg = self.cfg
        async with gate:
            t0 = time.monotonic()
            try:
                if cfg["mode"] == "app":
                    r = await client.http.request("POST", f"/api/v1/sessions/{cfg['code']}/join", {"consent": True})
                    if r.status != 201:
                        raise RuntimeError(f"join answered {r.status}: {r.body[:200]!r}")
                    client.token = r.json()["token"]
                client.join_s = time.monotonic() - t0
                client.ws = await connect(
                    cfg["ws_url"],
                    max_queue=(16 if client.reading else 1),
                    open_timeout=60,
                    ping_interval=None,
                    close_timeout=(10 if client.reading else 2),
                )
                await client.ws.send(json.dumps({"type": "hello", "token": client.token or str(client.index)}))
                if client.reading:
                    client.reader = asyncio.ensure_future(client.read_loop())
                    await asyncio.wait_for(client.first_state.wait(), 60)
                else:
                    client.on_message(await asyncio.wait_for(client.ws.recv(), 60))  # then stops reading
                client.connect_s = time.monotonic() - t0
            except Exception as exc:
                client.error = f"join: {exc!r}"

    async def vote_one(self, client: Client, t0: float, window: float) -> None:
        """Send the client's ballots evenly over the window, with a random phase (one ballot: a random moment)."""
        if client.connect_s is None:
            return
        spacing = window / len(client.items)
        phase = self.rng.random() * spacing
        for k, item in enumerate(client.items):
            delay = t0 + phase + k * spacing - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not await self.send_ballot(client, item):
                return

    async def send_ballot(self, client: Client, item: int) -> bool:
        ballot = [item, time.monotonic(), None, None]
        client.ballots.append(ballot)
        try:
            if self.cfg["mode"] == "app":
                r = await client.http.request(
                    "POST",
                    f"/api/v1/sessions/{self.cfg['code']}/votes",
                    {"item": item},
                    {"Authorization": f"Participant {client.token}"},
                )
                client.status = r.status
                if r.status not in (200, 201):
                    client.error = f"vote answered {r.status}: {r.body[:200]!r}"
                    return False
                ballot[3] = r.json().get("version")
            else:
                client.ack = asyncio.get_running_loop().create_future()
                await client.ws.send(json.dumps({"type": "vote", "item": item, "client": client.index}))
                ballot[3] = (await asyncio.wait_for(client.ack, 60)).get("version")
                client.status = 201
            ballot[2] = time.monotonic()
            return True
        except Exception as exc:
            client.error = f"vote: {exc!r}"
            return False

    async def wait_version(self, client: Client, version: int, deadline: float) -> None:
        while client.reading and client.max_version < version and time.monotonic() < deadline:
            client.version_event.clear()
            if client.reader is None or client.reader.done():
                return
            try:
                await asyncio.wait_for(client.version_event.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return

    async def run(self, conn) -> None:
        loop = asyncio.get_running_loop()
        url = urlsplit(self.cfg["http_url"])
        # Each participant has its own HTTP connection, as each phone has, unless http_connections > 0 shares a
        # pool of that many among the process's participants (ballots then wait for a free connection, in the
        # load generator, which counts as the server's ack and vote-to-screen time).
        shared = self.cfg.get("http_connections", 0)
        if shared:
            self.shared = Pool(url.hostname, url.port, size=shared)
        for c in self.clients:
            c.http = self.shared or Pool(url.hostname, url.port, size=1)
        try:
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command[0] == "join":
                    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
                    await asyncio.gather(*(self.join_one(c, gate) for c in self.clients))
                    conn.send(("joined", sum(c.connect_s is not None for c in self.clients)))
                elif command[0] == "vote":
                    _, t0, window = command
                    for c in self.clients:
                        c.recording = True
                    await asyncio.gather(*(self.vote_one(c, t0, window) for c in self.clients))
                    conn.send(("voted", sum(b[2] is not None for c in self.clients for b in c.ballots)))
                elif command[0] == "final":
                    _, version, timeout = command
                    deadline = time.monotonic() + timeout
                    await asyncio.gather(*(self.wait_version(c, version, deadline) for c in self.clients))
                    conn.send(("done", [self.record(c) for c in self.clients]))
                elif command[0] == "stop":
                    # All at once: a client that stopped reading never sees the server's close frame, so its
                    # close waits for close_timeout (one by one, 100 of them took minutes).
                    await asyncio.gather(*(c.ws.close() for c in self.clients if c.ws is not None))
                    conn.send(("stopped",))
                    return
        finally:
            for pool in {id(c.http): c.http for c in self.clients if c.http is not None}.values():
                await pool.close()

    @staticmethod
    def record(c: Client) -> dict:
        return {
            "index": c.index,
            "reading": c.reading,
            "sampled": c.sampled,
            "join_s": c.join_s,
            "connect_s": c.connect_s,
            "ballots": c.ballots,
            "status": c.status,
            "max_version": c.max_version,
            "states": [(t, version, dict(tallies)) for t, version, tallies in c.states],
            "error": c.error,
        }


def worker_main(conn, cfg: dict, indices: list[int]) -> None:
    raise_open_files()
    asyncio.run(Worker(cfg, indices).run(conn))
