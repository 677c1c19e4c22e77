"""Real PostgreSQL and Redis servers for the tests, started and stopped by pytest.

``postgres_url`` (session): a throwaway PostgreSQL cluster (Debian's
``/usr/lib/postgresql/*/bin``) in a temporary folder, on 127.0.0.1 at a free
port, trust authentication on loopback only, fsync off. It yields the URL of an
empty ``forms_test`` database. ``fresh_postgres_url`` (per test) creates a new,
empty database on the same cluster and drops it afterwards.

``redis_url`` (session): ``redis-server`` on 127.0.0.1 at a free port, with no
persistence.

initdb refuses to run as root, so as root the cluster runs as the ``postgres``
OS user (``runuser -u postgres --``). Missing binaries skip these tests on a
developer machine, but fail them when ``CI`` is set: CI must test real servers
(``scripts/system-deps.sh test`` installs them).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smtp_server import HOST, free_port

START_ATTEMPTS = 3
START_TIMEOUT = 30.0
PG_USER = "postgres"


def _unavailable(what: str) -> None:
    """Skip on a developer machine; fail in CI, which must run against real servers."""
    message = f"{what} (install it with: scripts/system-deps.sh test)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must test against real servers: {message}", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------- PostgreSQL


def postgres_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb, pg_ctl and postgres."""

    def version(path: str) -> int:
        try:
            return int(Path(path).parent.name.split(".")[0])
        except ValueError:
            return -1

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        folder = Path(candidate)
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


@dataclass
class PostgresServer:
    """One running throwaway cluster."""

    bin_dir: Path
    base: Path
    port: int
    as_postgres_user: bool

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{PG_USER}@{HOST}:{self.port}/{database}"

    def _command(self, *args: str) -> list[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres_user:
            return ["runuser", "-u", PG_USER, "--", *command]
        return command

    def run(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._command(*args),
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def init(self) -> None:
        result = self.run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            PG_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        # Trust, but only over the private socket folder and loopback TCP.
        (self.data_dir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            encoding="utf-8",
        )

    def start(self) -> None:
        options = " ".join(
            [
                f"-c listen_addresses={HOST}",
                f"-p {self.port}",
                f"-c unix_socket_directories={self.base}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=100",
            ]
        )
        result = self.run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.base / "postgres.log"),
            "-w",
            "-t",
            str(int(START_TIMEOUT)),
            "-o",
            options,
            "start",
            timeout=START_TIMEOUT + 10,
        )
        if result.returncode != 0:
            log = self.base / "postgres.log"
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{tail}")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(self.url("postgres", driver="postgresql"), autocommit=True) as conn:
            conn.execute(sql.encode())

    def create_database(self, name: str) -> str:
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_base(as_postgres_user: bool) -> Path:
    base = Path(tempfile.mkdtemp(prefix="forms-pg-"))
    if as_postgres_user:
        user = pwd.getpwnam(PG_USER)
        os.chown(base, user.pw_uid, user.pw_gid)
    return base


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A throwaway cluster, outside pytest too (the benchmarks use it); skips when missing."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    assert bin_dir is not None
    as_postgres_user = os.geteuid() == 0
    if as_postgres_user:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            _unavailable("running as root needs the 'postgres' OS user for initdb")
        if shutil.which("runuser") is None:
            _unavailable("running as root needs runuser (util-linux) for initdb")
    base = _postgres_base(as_postgres_user)
    server: PostgresServer | None = None
    try:
        last_error: Exception | None = None
        for _ in range(START_ATTEMPTS):  # the free port may be taken before we bind it
            candidate = PostgresServer(bin_dir, base, free_port(), as_postgres_user)
            if not candidate.data_dir.exists():
                candidate.init()
            try:
                candidate.start()
            except RuntimeError as exc:
                last_error = exc
                continue
            server = candidate
            break
        if server is None:
            raise RuntimeError(f"could not start PostgreSQL: {last_error}")
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/forms_test`` (an empty database)."""
    return postgres_server.create_database("forms_test")


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database for one test; dropped afterwards."""
    name = f"forms_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    yield url
    with contextlib.suppress(Exception):
        postgres_server.drop_database(name)


# --------------------------------------------------------------------------- Redis


def _wait_for_redis(url: str, process: subprocess.Popen[bytes]) -> bool:
    import redis

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            try:
                if client.ping():
                    return True
            finally:
                client.close()
        except redis.RedisError:
            pass
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` on a private, non-persistent redis-server."""
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file() else None
    )
    if binary is None:
        _unavailable("redis-server is not installed")
    assert binary is not None
    workdir = tmp_path_factory.mktemp("redis")
    for _ in range(START_ATTEMPTS):
        port = free_port()
        url = f"redis://{HOST}:{port}/0"
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if _wait_for_redis(url, process):
            try:
                yield url
            finally:
                _stop(process)
            return
        _stop(process)
    raise RuntimeError("could not start redis-server")
