"""Machinery of the fault drill (test_fault_drill.py): a private PostgreSQL cluster, a private Redis and the app's
ASGI server, each on its own free port under a temporary directory, so that the drill never touches the machine's
shared services. Every process started here is stopped here, by its own id."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:
            value = None
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} did not happen within {timeout} s")


def postgres_bin() -> Path | None:
    """PostgreSQL's server binaries (Debian's layout), or None. As root, initdb must run as the postgres user."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        return None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return None
    return Path(found[-1]).parent


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class PrivatePostgres:
    """initdb + pg_ctl in a temporary directory. initdb refuses to run as root: as root, the cluster belongs to
    the `postgres` system user (runuser); otherwise to the current user."""

    def __init__(self):
        self.bin = postgres_bin()
        # Its own directory directly under the temporary directory: pytest's tmp_path (mode 700, root's) is not
        # reachable for the postgres user.
        self.dir = Path(tempfile.mkdtemp(prefix="majlis-drill-pg-"))
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)  # noqa: S603
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:1])} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result

    def init(self) -> None:
        if self.as_root:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()
        self._run("createdb", *self.address, "majlis")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "stop", check=False)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def dump(self, target: Path, database: str = "majlis") -> None:
        self._run("pg_dump", *self.address, "-Fc", "-f", str(target), database)

    def restore(self, source: Path, database: str) -> None:
        self._run("createdb", *self.address, database)
        self._run("pg_restore", *self.address, "--no-owner", "-d", database, str(source))

    def database_url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def address(self) -> tuple[str, ...]:
        return ("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/majlis"


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 10, "redis-server start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def server_env(database_url: str, redis_url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAJLIS_", "DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_PREFIX=f"drill{os.getpid()}",
        DEBUG="1",
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def manage(env: dict, *argv: str, timeout: float = 300) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"manage.py {' '.join(argv)} failed:\n{result.stderr[-3000:]}"
    return result.stdout


class Server:
    """`manage.py serve` (uvicorn with WORKERS processes under its supervisor)."""

    def __init__(self, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.env = {**env, "WORKERS": str(workers), "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.workers = workers
        self.log = log
        self.process: subprocess.Popen | None = None
        self.output = None

    def start(self) -> None:
        self.output = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: len(self.worker_pids()) == self.workers, 60, "the workers start")
        wait_for(lambda: httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200, 60, "the server answers")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The worker processes of uvicorn's supervisor (children running multiprocessing's spawn_main)."""
        if self.process is None:
            return []
        pids = []
        for path in glob(f"/proc/{self.process.pid}/task/*/children"):
            pids += [int(p) for p in Path(path).read_text().split()]
        workers = []
        for pid in pids:
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    workers.append(pid)
            except OSError:
                continue
        return sorted(workers)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self.output is not None:
            self.output.close()
