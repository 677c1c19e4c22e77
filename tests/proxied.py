"""The production web set-up on loopback, for tests and benchmarks: gunicorn with the
repository's ``gunicorn.conf.py``, Debian's nginx with ``deploy/nginx.conf`` (its
ports and paths moved into a temporary folder), and slowloris clients.

Everything runs as ordinary child processes on free loopback ports; nothing is
installed or left running. Usage::

    with gunicorn(tmp) as upstream, nginx(tmp, upstream) as proxy:
        with Slowloris(proxy, 100) as slow:
            slow.wait_until_held()
            ...requests to proxy...
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tests.factories import ROOT
from tests.smtp_server import HOST, free_port

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
START_TIMEOUT = 120.0


def nginx_command() -> str | None:
    """Debian's nginx (``apt-get install nginx``), if installed."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None
    )


def nginx_test_config(folder: Path, port: int, upstream_port: int) -> Path:
    """``deploy/nginx.conf`` with its port, upstream, pid, logs and temporary files
    moved into ``folder``; every other line as shipped. A line the test expects but
    no longer finds fails loudly, so the shipped file and the test stay in step."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root (a container), nginx's workers would be ``nobody``, who cannot
    # read the test's private folder; as anyone else the directive is ignored.
    user = "user root;" if os.geteuid() == 0 else ""
    replacements = [
        (r"^user .*;$", user),
        (r"^worker_processes .*;$", "worker_processes 1;"),
        (r"^pid .*;$", f"pid {folder / 'nginx.pid'};"),
        (r"^error_log \S+", f"error_log {folder / 'error.log'}"),
        (r"^    access_log .*;$", f"    access_log {folder / 'access.log'};\n{temp}"),
        (r"^        listen 80;$", f"        listen {HOST}:{port};"),
        (r"^        listen \[::\]:80;$", ""),
        (r"^        server 127\.0\.0\.1:8000;$", f"        server {HOST}:{upstream_port};"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
        if count != 1:
            raise AssertionError(f"deploy/nginx.conf no longer has a line matching {pattern!r}")
    path = folder / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def wait_for_http(port: int, path: str = "/healthz", timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if get(port, path, timeout=10.0) == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing answered 200 on port {port}{path}")
        time.sleep(0.2)


def get(port: int, path: str, timeout: float = 30.0) -> int:
    """One GET on a new connection; the status (the body is read in full)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""


@contextlib.contextmanager
def gunicorn(folder: Path, workers: int = 2, threads: int = 4) -> Iterator[int]:
    """gunicorn with ``gunicorn.conf.py`` on a free loopback port (yielded), on its
    own SQLite database, mail to a pickup folder."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORMS_", "GUNICORN_"))}
    env.update(
        {
            "GUNICORN_BIND": f"{HOST}:{port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "FORMS_INSTANCE_PATH": str(folder / "instance"),
            "FORMS_SECRET_KEY": "g" * 40,
            "FORMS_DAILY_MAIL": "false",
            "PYTHONPATH": str(ROOT),
        }
    )
    log = folder / "gunicorn.log"
    command = Path(sys.executable).parent / "gunicorn"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(command), "-c", str(GUNICORN_CONF)],
            env=env,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            wait_for_http(port)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; gunicorn log:\n{_tail(log)}") from None
        yield port
    finally:
        _stop(process)


@contextlib.contextmanager
def nginx(folder: Path, upstream_port: int) -> Iterator[int]:
    """Debian's nginx with the shipped configuration in front of ``upstream_port``."""
    command = nginx_command()
    if command is None:
        raise AssertionError("nginx is not installed: `make test` installs it (apt nginx)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = nginx_test_config(folder, port, upstream_port)
    early_log = folder / "startup.log"
    process = subprocess.Popen(
        [command, "-c", str(config), "-p", str(folder), "-e", str(early_log), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            wait_for_http(port)
        except AssertionError as exc:
            logs = _tail(early_log) + _tail(folder / "error.log")
            raise AssertionError(f"{exc}; nginx said:\n{logs}") from None
        yield port
    finally:
        _stop(process)


class Slowloris:
    """``count`` connections that each send one more header line every ``every``
    seconds and never finish their request; a connection the server closes is
    opened again at once, so ``count`` are always held (as an attacker would)."""

    def __init__(self, port: int, count: int = 100, every: float = 2.0) -> None:
        self.port = port
        self.count = count
        self.every = every
        self._sockets: list[socket.socket | None] = [None] * count
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slowloris", daemon=True)
        self.opened = 0

    def __enter__(self) -> Slowloris:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=30)
        for sock in self._sockets:
            if sock is not None:
                sock.close()

    def held(self) -> int:
        return sum(sock is not None for sock in self._sockets)

    def wait_until_held(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.held() < self.count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.held()} of {self.count} slow connections held")
            time.sleep(0.1)

    def _open(self, index: int) -> None:
        try:
            sock = socket.create_connection((HOST, self.port), timeout=5)
            sock.sendall(b"GET /forms/ HTTP/1.1\r\nHost: localhost\r\n")
        except OSError:
            self._sockets[index] = None
            return
        self._sockets[index] = sock
        self.opened += 1

    def _run(self) -> None:
        line = 0
        while not self._stopped.is_set():
            for index in range(self.count):
                sock = self._sockets[index]
                if sock is None:
                    self._open(index)
                    continue
                try:
                    sock.sendall(f"X-Slow-{line}: {index}\r\n".encode())
                except OSError:
                    sock.close()
                    self._open(index)
            line += 1
            self._stopped.wait(self.every)
