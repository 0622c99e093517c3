"""Long-form database-restart drill: PostgreSQL restarts while requests keep coming.

Every request must answer 200 or a retry-able 503 (`Retry-After`, `service.unavailable`),
never a 500 or a dropped connection, and the service must recover by itself.
RESTARTS THE WHOLE LOCAL CLUSTER: run it only on a machine of your own, never in CI.

    .venv/bin/python bench/faults/db_restart.py --seconds 40 --restart-at 10
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")

import django  # noqa: E402

django.setup()

from bench.faults.harness import Stack, make_env  # noqa: E402
from bench.faults.kill_drill import fresh_database  # noqa: E402


def restart_cluster() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--restart-at", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/garita_faults")
    fresh_database(url)
    outcomes: collections.Counter[str] = collections.Counter()
    timeline: list[tuple[float, str]] = []
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="garita-dbdrill-") as tmp:
        stack = Stack(env=make_env(url, Path(tmp), GARITA_DB_CONN_MAX_AGE="60"), var_dir=Path(tmp))
        assert stack.garita("migrate", "--noinput", "-v", "0").returncode == 0
        stack.start_web(workers=2)
        start = time.monotonic()
        stop = start + args.seconds

        def client() -> None:
            while time.monotonic() < stop:
                try:
                    status, headers, body = stack.get("/api/v1/health", timeout=10)
                    if status == 503:
                        code = json.loads(body).get("code")
                        kind = "503 retry-able" if headers.get("Retry-After") and \
                            code == "service.unavailable" else "503 WITHOUT Retry-After"
                    else:
                        kind = str(status)
                except OSError as exc:
                    kind = f"connection error ({type(exc).__name__})"
                with lock:
                    outcomes[kind] += 1
                    timeline.append((time.monotonic() - start, kind))
                time.sleep(0.05)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.restart_at)
        t0 = time.monotonic() - start
        restart_cluster()
        t1 = time.monotonic() - start
        for t in threads:
            t.join()
        stack.stop_all()
    last_bad = max((t for t, k in timeline if k != "200"), default=None)
    recovered = all(k == "200" for t, k in timeline if t > (last_bad or 0))
    print(f"database restart from {t0:.1f}s to {t1:.1f}s; requests by outcome:")
    for kind, n in outcomes.most_common():
        print(f"  {kind:<40} {n}")
    if last_bad is not None:
        print(f"last non-200 answer at {last_bad:.1f}s ({last_bad - t1:+.1f}s after the restart)")
    clean = set(outcomes) <= {"200", "503 retry-able"}
    print(f"clean failures only: {clean}; recovered by itself: {recovered}")
    return 0 if clean and recovered else 1


if __name__ == "__main__":
    sys.exit(main())
