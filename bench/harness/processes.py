"""A distributed deployment on loopback, every process in a process group of its own:
a throw-away PostgreSQL and Redis, ``mailscope serve`` replicas and ``mailscope worker``
processes, and a sampler of their RSS, CPU and database connections from ``/proc``."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

MAILSCOPE = Path(sys.executable).parent / "mailscope"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Proc:
    """A process the harness started, in a process group of its own."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def tree(self) -> list[int]:
        """This process and its descendants (dramatiq forks its worker processes)."""
        pids, frontier = [self.popen.pid], [self.popen.pid]
        while frontier:
            parent = frontier.pop()
            for path in glob.glob(f"/proc/{parent}/task/*/children"):
                with contextlib.suppress(OSError):
                    children = [int(pid) for pid in Path(path).read_text().split()]
                    pids += children
                    frontier += children
        return pids

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the group (running jobs and requests finish), SIGKILL after
        ``timeout`` s, and to whatever of the group outlived its leader."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(5)


def spawn(name: str, argv: list[str], *, env: dict[str, str], folder: Path) -> Proc:
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as output:
        popen = subprocess.Popen(argv, env=env, cwd=folder, stdout=output,  # noqa: S603
                                 stderr=subprocess.STDOUT, start_new_session=True)
    return Proc(name, popen, log_path)


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        return ["su", "postgres", "-c", subprocess.list2cmdline(command)]
    return command


class OwnPostgres:
    """A throw-away PostgreSQL: initdb into a temporary folder, loopback only."""

    def __init__(self, port: int) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = found[-1] if found else shutil.which("initdb")
        if initdb is None:
            raise RuntimeError("PostgreSQL's server binaries (initdb) are not installed")
        self.binaries = Path(initdb).parent
        self.folder = Path(tempfile.mkdtemp(prefix="mailscope-load-pg-", dir="/tmp"))
        self.data = self.folder / "data"
        self.port = port or free_port()
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        command = _as_postgres([str(self.binaries / argv[0]), *argv[1:]])
        subprocess.run(command, check=True, capture_output=True, timeout=300)  # noqa: S603

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.started = True
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-t",
                  "60", "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 "
                              "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                              "-c max_connections=200 -c shared_buffers=256MB", "start")

    def stop(self) -> None:
        if self.started:
            subprocess.run(_as_postgres([str(self.binaries / "pg_ctl"), "-D",  # noqa: S603
                                         str(self.data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, check=False, timeout=120)
        shutil.rmtree(self.folder, ignore_errors=True)


class OwnRedis:
    """A throw-away Redis in the foreground of its own process group, no persistence."""

    def __init__(self, port: int, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.port = port or free_port()
        self.proc = spawn("redis", [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no"],
                          env=dict(os.environ), folder=folder)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return
            if time.monotonic() > deadline or self.proc.popen.poll() is not None:
                raise RuntimeError(f"Redis did not start: see {self.proc.log_path}")
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def run_cli(argv: list[str], *, env: dict[str, str], folder: Path) -> str:
    done = subprocess.run([str(MAILSCOPE), *argv], env=env, cwd=folder,  # noqa: S603
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"mailscope {' '.join(argv)} failed ({done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Deployment:
    """``replicas`` × ``mailscope serve`` and ``workers`` × ``mailscope worker``."""

    database_url: str
    broker_url: str
    folder: Path
    replicas: int = 2
    workers: int = 2
    first_port: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)
    servers: list[Proc] = field(default_factory=list)
    worker_procs: list[Proc] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MAILSCOPE_DATABASE_URL": self.database_url,
                "MAILSCOPE_BROKER_URL": self.broker_url,
                "MAILSCOPE_SECRET_KEY": "load-" + "k" * 40, **self.extra_env}

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @property
    def procs(self) -> list[Proc]:
        return [*self.servers, *self.worker_procs]

    def start(self) -> None:
        for number in range(self.workers):
            self.worker_procs.append(spawn(f"worker-{number + 1}", [
                str(MAILSCOPE), "worker", "--processes", "1", "--threads", "2"],
                env=self.env, folder=self.folder))
        for number in range(self.replicas):
            port = self.first_port + number if self.first_port else free_port()
            self.ports.append(port)
            self.servers.append(spawn(f"replica-{number + 1}", [
                str(MAILSCOPE), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=self.env, folder=self.folder))
        deadline = time.monotonic() + 180
        for proc, url in zip(self.servers, self.urls, strict=True):
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                        break
                if proc.popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{proc.name} did not start: "
                                       f"{proc.log_path.read_text()[-2000:]}")
                time.sleep(0.3)
        for proc in self.worker_procs:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited: {proc.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _rss_and_cpu(pids: list[int]) -> tuple[int, float]:
    rss, cpu = 0, 0.0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
            rss += int(fields[21]) * PAGE_BYTES
    return rss, cpu


class Sampler:
    """Every ``interval`` s: the RSS of each process tree (peak kept), its CPU seconds,
    and PostgreSQL's connections to the database (peak kept)."""

    def __init__(self, procs: list[Proc], database_url: str, interval: float = 0.5) -> None:
        from sqlalchemy import text

        from server.db.engine import engine_for

        self.procs = procs
        self.interval = interval
        self.peak_rss: dict[str, int] = defaultdict(int)
        self.cpu: dict[str, float] = {}
        self.peak_connections = 0
        self._engine = engine_for(database_url)
        self._query = text("SELECT count(*) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> None:
        for proc in self.procs:
            rss, cpu = _rss_and_cpu(proc.tree())
            self.peak_rss[proc.name] = max(self.peak_rss[proc.name], rss)
            self.cpu[proc.name] = max(self.cpu.get(proc.name, 0.0), cpu)
        with contextlib.suppress(Exception), self._engine.connect() as connection:
            count = int(connection.execute(self._query).scalar_one())
            self.peak_connections = max(self.peak_connections, count)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        self._engine.dispose()
