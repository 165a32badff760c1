"""``python -m bench.run``: start the server as in production, drive N participants, print one JSON line per scenario.

Scenarios: ``burst`` (everyone votes within --window seconds; vote-to-screen latency), ``sustained`` (ballots at
--rate per second for --duration seconds), ``joinstorm`` (everyone joins and connects at once), ``slowreaders``
(burst with 10% of clients that stop reading). Each runs against the application and, unless --no-reference, the
bare-websockets reference (bench/reference_server.py), and reports both and their ratios. Exit status 1 when a
ballot was lost or doubled or a screen missed the final state (``--strict``, used by ``make bench-smoke``).

Vote-to-screen (a definition that never under-reports): ballots on an item only accumulate, and a state is a
consistent snapshot, so it holds a prefix of the item's ballots in commit order. Client c's ballot was committed
before c received its acknowledgement, so no ballot sent after that moment precedes it: its position is at most
P_c = #{ballots on c's item sent before c's acknowledgement}. The first state on c's own screen, received after c
sent, whose tally of c's item is ≥ P_c certainly contains c's ballot; latency = that receipt time − c's send time.
This bound waits for every ballot sent before c's acknowledgement, so it also counts, for c, the acknowledgement
time of ballots sent just before it: it reports ``v2s_*``.

Vote-to-screen by version (``v2s_version_*``, exact): the application's vote answer names the session's version with
the ballot committed (docs/api.md), as the reference's ack does; every state of that version or later contains the
ballot, so the first such state on c's screen after c sent is when c's ballot reached it.
"""

import argparse
import bisect
import json
import math
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from . import loadgen, procstats

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/13"


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)  # ms


def http_json(method: str, url: str, body=None, token: str | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


def wait_port(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url}")


class AppServer:
    """manage.py serve on a fresh database (a temp SQLite file, or a PostgreSQL database created and dropped)."""

    def __init__(self, backend: str, port: int, workers: int):
        self.backend, self.port, self.workers = backend, port, workers
        self.tmp = tempfile.mkdtemp(prefix="majlis-bench-")
        self.dbname = f"bench_majlis_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        env = dict(os.environ)
        env.update(
            HOST="127.0.0.1",
            PORT=str(port),
            WORKERS=str(workers),
            DEBUG="0",
            SECRET_KEY="bench-" + uuid.uuid4().hex,
            ALLOWED_HOSTS="127.0.0.1",
            LOG_LEVEL="WARNING",
            MEDIA_ROOT=self.tmp,
            SECURE_SSL_REDIRECT="0",  # loopback without the TLS proxy production has in front
            # All participants come from 127.0.0.1: the per-address join limit would refuse a room of 2,000, and the
            # sustained scenario sends more than the per-session vote limit. Other limits stay as configured.
            MAJLIS_RATE_JOIN_ADDRESS="1000000/m",
            MAJLIS_RATE_JOIN_SESSION="1000000/m",
            MAJLIS_RATE_VOTE_SESSION="10000000/m",
            # Every screen comes from 127.0.0.1 too: no cap on the sockets one address holds in a worker.
            MAJLIS_SOCKETS_PER_ADDRESS="0",
        )
        env.pop("TEST_DATABASE_NAME", None)
        if backend == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'CREATE DATABASE "{self.dbname}"')
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{self.dbname}"
            env["REDIS_URL"] = REDIS
            env["CHANNELS_PREFIX"] = env["CACHE_PREFIX"] = "bench" + uuid.uuid4().hex[:8]
        else:
            env["DATABASE_URL"] = f"sqlite:///{self.tmp}/db.sqlite3"
            env.pop("REDIS_URL", None)
        self.env = env
        self.proc = None

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        )
        return out.stdout

    def start(self) -> dict:
        self.manage("migrate", "--no-input", "-v", "0")
        seed = json.loads(self.manage("seed_demo", "--json"))["cities"][0]
        if self.backend == "postgres":
            import psycopg

            # Creating and migrating the database wrote a lot of WAL: flush it now, not during the measured phase.
            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute("CHECKPOINT")
        self.proc = subprocess.Popen(
            [PY, "manage.py", "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(  # noqa: SIM115
                f"{self.tmp}/server.log", "w"
            ),
        )
        wait_port(f"http://127.0.0.1:{self.port}/api/v1/")
        time.sleep(1.0 if self.workers > 1 else 0.2)
        return seed

    def ballots(self, session_id: int) -> dict:
        code = (
            "import json;from consultations.models import Ballot;from django.db.models import Count;"
            f"q=Ballot.objects.filter(session_id={session_id});"
            "d=q.values('participant','item').annotate(n=Count('id')).filter(n__gt=1).count();"
            "print(json.dumps({'ballots':q.count(),'doubled':d}))"
        )
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.backend == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)


def setup_app_session(base: str, seed: dict, items: int) -> dict:
    """A fresh session by the REST API: approval voting, no pre-moderation, `items` approved challenges."""
    staff = f"Token {seed['api_token']}"
    s = http_json(
        "POST",
        f"{base}/api/v1/consultations/{seed['consultation_id']}/sessions/",
        {
            "title": "Benchmark",
            "phases": ["lobby", "challenges", "challenge_voting", "results", "closed"],
            "challenge_voting_method": "approval",
            "premoderation": False,
        },
        staff,
    )
    code = s["join_code"]
    http_json("POST", f"{base}/api/v1/sessions/{code}/phase", {"phase": "challenges"}, staff)
    ids = []
    author = None
    for i in range(items):
        if i % 5 == 0:
            author = (
                "Participant " + http_json("POST", f"{base}/api/v1/sessions/{code}/join", {"consent": True})["token"]
            )
        item = http_json(
            "POST", f"{base}/api/v1/sessions/{code}/items", {"kind": "challenge", "text": f"Idea {i + 1}"}, author
        )
        ids.append(item["id"])
    http_json("POST", f"{base}/api/v1/sessions/{code}/results-visible", {"value": True}, staff)
    return {"code": code, "id": s["id"], "items": ids, "staff": staff}


def _ballots_and_screens(records: list[dict]):
    """(ballot, the states its voter's screen received from its sending on) for each acknowledged ballot of a
    screen that recorded its states."""
    for r in records:
        if not r["reading"] or not r["sampled"]:
            continue
        times = [t for t, _version, _tallies in r["states"]]
        for ballot in r["ballots"]:
            if ballot[2] is not None:
                yield ballot, r["states"][bisect.bisect_left(times, ballot[1]) :]


def vote_to_screen(records: list[dict]) -> list[float]:
    sent_by_item: dict[int, list[float]] = {}
    for r in records:
        for item, t_sent, t_ack, _version in r["ballots"]:
            if t_ack is not None:
                sent_by_item.setdefault(item, []).append(t_sent)
    for v in sent_by_item.values():
        v.sort()
    out = []
    for (item, t_sent, t_ack, _version), states in _ballots_and_screens(records):
        need = bisect.bisect_left(sent_by_item[item], t_ack)
        out.extend(next(([t - t_sent] for t, _v, tallies in states if tallies.get(item, 0) >= need), []))
    return out


def vote_to_screen_by_version(records: list[dict]) -> list[float]:
    """Vote-to-screen from the version the acknowledgement names (the application's vote answer and the reference's
    ack both carry one): every state of that version or later contains the ballot, so the first such state on the
    voter's screen is when the ballot reached it, without the bound's margin for ballots still in flight."""
    out = []
    for (_item, t_sent, _t_ack, version), states in _ballots_and_screens(records):
        if version is not None:
            out.extend(next(([t - t_sent] for t, state_version, _tallies in states if state_version >= version), []))
    return out


def drive(target: dict, args, meter_pid: int, final_version) -> dict:
    """Join/connect N clients in --procs processes, vote, wait for the final state everywhere; measure."""
    n = args.participants
    not_reading = list(range(0, n, 10)) if args.scenario == "slowreaders" else []
    per_client = ballots_per_client(args)
    cfg = dict(
        target,
        seed=args.seed,
        not_reading=not_reading,
        ballots_per_client=per_client,
        http_connections=args.http_connections,
        sample_every=10 if per_client > 1 else 1,  # a minute of states on every screen would fill the client's memory
    )
    procs = max(1, min(args.procs, n))
    ctx = mp.get_context("fork")
    pipes, workers = [], []
    for p in range(procs):
        parent, child = ctx.Pipe()
        w = ctx.Process(target=loadgen.worker_main, args=(child, cfg, list(range(p, n, procs))), daemon=True)
        w.start()
        pipes.append(parent)
        workers.append(w)
    meter = procstats.Meter(meter_pid)
    t_join = time.monotonic()
    for c in pipes:
        c.send(("join",))
    connected = sum(c.recv()[1] for c in pipes)
    join_wall = time.monotonic() - t_join
    after_join = meter.snapshot()
    if target.get("before_vote"):
        target["before_vote"]()
    window = args.window if args.scenario != "sustained" else n * per_client / args.rate
    t0 = time.monotonic() + 0.5
    cpu_before_vote = procstats.cpu_seconds(procstats.tree(meter_pid))
    for c in pipes:
        c.send(("vote", t0, window))
    acked = sum(c.recv()[1] for c in pipes)
    vote_wall = time.monotonic() - t0
    version = final_version()
    for c in pipes:
        c.send(("final", version, args.settle))
    records = [r for c in pipes for r in c.recv()[1]]
    end = meter.snapshot()
    cpu_vote = procstats.cpu_seconds(procstats.tree(meter_pid)) - cpu_before_vote
    for c in pipes:
        c.send(("stop",))
        c.recv()
    for w in workers:
        w.join(10)
    lat = vote_to_screen(records)
    exact = vote_to_screen_by_version(records)
    acks = [t_ack - t_sent for r in records for _item, t_sent, t_ack, _v in r["ballots"] if t_ack is not None]
    joins = [r["connect_s"] for r in records if r["connect_s"] is not None]
    readers = [r for r in records if r["reading"] and r["connect_s"] is not None]
    errors = [r["error"] for r in records if r["error"]]
    return {
        "connected": connected,
        "acked": acked,
        "final_version": version,
        "missed_final": sum(r["max_version"] < version for r in readers),
        "join_wall_s": round(join_wall, 2),
        "join_p95_ms": pct(joins, 0.95),
        "ack_p50_ms": pct(acks, 0.5),
        "ack_p95_ms": pct(acks, 0.95),
        "v2s_p50_ms": pct(lat, 0.5),
        "v2s_p95_ms": pct(lat, 0.95),
        "v2s_p99_ms": pct(lat, 0.99),
        "v2s_n": len(lat),
        "v2s_version_p50_ms": pct(exact, 0.5),
        "v2s_version_p95_ms": pct(exact, 0.95),
        "v2s_version_p99_ms": pct(exact, 0.99),
        "v2s_version_n": len(exact),
        "ballots_per_client": per_client,
        "vote_wall_s": round(vote_wall, 2),
        "ballots_per_s": round(acked / vote_wall, 1) if vote_wall > 0 else None,
        "server_cpu_s": round(end["cpu_s"], 2),
        "server_cpu_vote_s": round(cpu_vote, 2),
        "server_rss_mb": round(end["rss"] / 2**20, 1),
        "kb_per_conn": round(after_join["rss_delta"] / 1024 / max(connected, 1), 1),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "_statuses": sorted({r["status"] for r in records if r["status"]}),
    }


def run_app(args) -> dict:
    server = AppServer(args.backend, args.port, args.workers)
    try:
        seed = server.start()
        base = f"http://127.0.0.1:{args.port}"
        s = setup_app_session(base, seed, args.items)
        target = {
            "mode": "app",
            "code": s["code"],
            "items": s["items"],
            "http_url": base,
            "ws_url": f"ws://127.0.0.1:{args.port}/ws/sessions/{s['code']}/",
            "before_vote": lambda: http_json(
                "POST", f"{base}/api/v1/sessions/{s['code']}/phase", {"phase": "challenge_voting"}, s["staff"]
            ),
        }

        def final_version():
            time.sleep(0.3)
            return http_json("GET", f"{base}/api/v1/sessions/{s['code']}/state", token=s["staff"])["version"]

        result = drive(target, args, server.proc.pid, final_version)
        db = server.ballots(s["id"])
        result["ballots_in_db"] = db["ballots"]
        result["lost"] = max(0, result["acked"] - db["ballots"])
        result["doubled"] = db["doubled"]
        return result
    finally:
        server.stop()


def run_reference(args) -> dict:
    port = args.port + 50
    proc = subprocess.Popen([PY, "-m", "bench.reference_server", str(port), str(args.items)], cwd=ROOT)
    try:
        wait_port(f"http://127.0.0.1:{port}/stats")
        target = {
            "mode": "reference",
            "code": "",
            "items": list(range(1, args.items + 1)),
            "http_url": f"http://127.0.0.1:{port}",
            "ws_url": f"ws://127.0.0.1:{port}/",
        }

        def final_version():
            time.sleep(0.3)
            return http_json("GET", f"http://127.0.0.1:{port}/stats")["version"]

        result = drive(target, args, proc.pid, final_version)
        stats = http_json("GET", f"http://127.0.0.1:{port}/stats")
        result["ballots_in_db"] = stats["ballots"]
        result["lost"] = max(0, result["acked"] - stats["ballots"])
        result["doubled"] = 0
        return result
    finally:
        proc.terminate()
        proc.wait(10)


def ballots_per_client(args) -> int:
    """sustained with --duration: each client casts this many ballots (on distinct items) so that the room sends
    --rate ballots a second for --duration seconds; otherwise one."""
    if args.scenario != "sustained" or not args.duration:
        return 1
    return max(1, math.ceil(args.rate * args.duration / args.participants))


RATIO_KEYS = [
    "join_p95_ms",
    "ack_p95_ms",
    "v2s_p50_ms",
    "v2s_p95_ms",
    "v2s_version_p95_ms",
    "server_cpu_vote_s",
    "kb_per_conn",
]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="burst", choices=["burst", "sustained", "joinstorm", "slowreaders", "all"])
    p.add_argument("--participants", type=int, default=200)
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    p.add_argument("--workers", type=int, default=None, help="ASGI workers (default: 1 on SQLite, 2 on PostgreSQL)")
    p.add_argument("--items", type=int, default=3, help="approved challenges voted on (approval voting)")
    p.add_argument("--window", type=float, default=2.0, help="burst: everyone votes within this many seconds")
    p.add_argument("--rate", type=float, default=1000.0, help="sustained: ballots per second")
    p.add_argument(
        "--duration",
        type=float,
        default=0.0,
        help="sustained: send --rate ballots a second for this many seconds (each participant votes on several items)",
    )
    p.add_argument("--settle", type=float, default=15.0, help="seconds screens get to reach the final version")
    p.add_argument("--procs", type=int, default=2, help="client processes")
    p.add_argument(
        "--http-connections",
        type=int,
        default=0,
        help="HTTP connections shared by each client process's participants (default 0: one per participant)",
    )
    p.add_argument("--port", type=int, default=18100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-reference", action="store_true")
    p.add_argument("--strict", action="store_true", help="exit 1 on a lost or doubled ballot or a missed final state")
    args = p.parse_args(argv)
    if args.workers is None:
        args.workers = 2 if args.backend == "postgres" else 1
    loadgen.raise_open_files()
    scenarios = ["burst", "sustained", "joinstorm", "slowreaders"] if args.scenario == "all" else [args.scenario]
    failed = False
    items = args.items
    for scenario in scenarios:
        args.scenario = scenario
        args.items = max(items, ballots_per_client(args))  # one item per ballot of a participant
        line = {
            "scenario": scenario,
            "participants": args.participants,
            "backend": args.backend,
            "workers": args.workers,
            "client_procs": args.procs,
            "http_connections": args.http_connections or "per participant",
        }
        app = run_app(args)
        line["app"] = app
        if not args.no_reference:
            ref = run_reference(args)
            line["reference"] = ref
            line["ratio"] = {k: round(app[k] / ref[k], 2) if app.get(k) and ref.get(k) else None for k in RATIO_KEYS}
        print(json.dumps(line), flush=True)
        if app["lost"] or app["doubled"] or app["missed_final"] or app["connected"] < args.participants:
            failed = True
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
