"""A private, throw-away PostgreSQL cluster (initdb + pg_ctl in a temporary directory).

The database-restart drills restart THIS cluster, never the shared server on :5432. It
listens on 127.0.0.1 on a free port, trusts local connections, and is removed on stop().
Run as root, the server runs as the `postgres` system user (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.faults.harness import free_port


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<v>/bin with initdb, or the one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable_reason() -> str | None:
    """Why a private cluster cannot be started here (None when it can)."""
    if find_bindir() is None:
        return "initdb not found (install postgresql, e.g. /usr/lib/postgresql/15/bin)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root without runuser"
    return None


class PrivateCluster:
    def __init__(self, *, port: int | None = None, base: Path | None = None) -> None:
        self.bindir = find_bindir()
        if self.bindir is None:
            raise RuntimeError(unavailable_reason())
        self.port = port or free_port()
        self.base = Path(tempfile.mkdtemp(prefix="garita-pg-", dir=base))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
            self.base.chmod(0o700)

    # -- helpers --------------------------------------------------------------------------
    def _run(self, *args: str, timeout: float = 120, check: bool = True
             ) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=check, cwd=self.base)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    # -- lifecycle ------------------------------------------------------------------------
    def init(self) -> PrivateCluster:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        conf = self.data / "postgresql.conf"
        with conf.open("a") as f:
            f.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.base}'\n"
                    "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
                    "max_connections = 60\n")
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "start")

    def restart(self, mode: str = "fast") -> float:
        """pg_ctl restart -m fast|immediate, or `down:N` (stop -m fast, N seconds with no
        server at all, start); returns how long it took."""
        t0 = time.monotonic()
        if mode.startswith("down:"):
            self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", "fast", "stop")
            time.sleep(float(mode.split(":", 1)[1]))
            self.start()
        else:
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                      "-m", mode, "restart")
        return time.monotonic() - t0

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", mode, "stop",
                  check=False)

    def create_database(self, name: str) -> None:
        self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        self.init()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()
