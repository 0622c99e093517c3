"""Fault-drill harness: run Garita's web server, worker and a long write as real processes.

Used by tests/reliability/test_faults.py (short form) and bench/faults/kill_drill.py
(long form). Everything binds to 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

GARITA = [sys.executable, "-m", "garita.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_command() -> list[str]:
    """`garita worker` (the scheduler + django-tasks' worker), else django-tasks' own.

    Looked up by module so that it also works in a process without django.setup()."""
    import importlib.util

    found = importlib.util.find_spec("garita.notifications.management.commands.worker")
    return ["worker"] if found is not None else ["db_worker"]


@dataclass
class Stack:
    """Environment for one throw-away Garita installation (its own database and var/)."""

    env: dict[str, str]
    var_dir: Path
    port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def garita(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*GARITA, *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.var_dir / f"{name}.log").open("ab")
        # Own process group: SIGKILL reaches gunicorn's master and its workers at once.
        # PGAPPNAME names the process's PostgreSQL sessions (drills look for open writes).
        proc = subprocess.Popen([*GARITA, *args], env={**self.env, "PGAPPNAME": f"garita-{name}"},
                                stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_web(self, workers: int = 1, threads: int = 2) -> None:
        self.spawn("web", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(workers), "--threads", str(threads))
        self.wait_healthy()

    def start_worker(self, *args: str) -> None:
        self.spawn("worker", *worker_command(), *args)

    def post_json(self, path: str, body: dict[str, object], token: str = "",
                  timeout: float = 120) -> tuple[int, dict[str, object]]:
        """POST JSON with a bearer token; (status, decoded body)."""
        req = urllib.request.Request(self.url(path), data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                return res.status, dict(json.loads(res.read() or b"{}"))
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, dict(json.loads(raw or b"{}"))
            except ValueError:
                return err.code, {"raw": raw[:300].decode(errors="replace")}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=timeout) as res:
                return res.status, dict(res.headers), res.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            try:
                status, _, _ = self.get("/api/v1/health", timeout=2)
                if status == 200:
                    return
                last = status
            except OSError as exc:
                last = exc
            time.sleep(0.2)
        raise TimeoutError(f"web server not healthy after {timeout}s: {last}")

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name)

    def burst_state(self, label: str) -> dict[str, object]:
        """How many of the label's events exist, and whether the whole audit chain verifies."""
        proc = self.garita("fault_drill", "count", "--label", label)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def wait_for_progress(path: Path, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done = int(path.read_text() or 0)
        except (FileNotFoundError, ValueError):
            done = 0
        if done >= at_least:
            return done
        time.sleep(0.05)
    raise TimeoutError(f"the write did not reach {at_least} steps in {timeout}s")


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database named in `url` (a drill's scratch database)."""
    from urllib.parse import urlparse

    import psycopg

    u = urlparse(url)
    with psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                         password=u.password, dbname="postgres", autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{u.path.lstrip("/")}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{u.path.lstrip("/")}"')


def make_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=database_url, GARITA_VAR_DIR=str(var_dir),
               GARITA_KEY_DIR=str(var_dir / "keys"),
               DJANGO_SETTINGS_MODULE="garita.config.settings",
               GARITA_LOG_LEVEL="WARNING", WEB_CONCURRENCY="2")
    env.update(extra)
    return env
