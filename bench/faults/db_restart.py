"""Long-form database-restart drill: a PRIVATE PostgreSQL cluster restarts under requests.

Starts its own cluster (initdb + pg_ctl in a temporary directory, a free port; the shared
server on :5432 is never touched), migrates, serves Garita with gunicorn against it with
persistent, health-checked connections, and keeps clients requesting while the cluster
restarts (`pg_ctl restart -m fast`, then `-m immediate`: a crash and recovery). Every
answer must be 200 or the retry-able 503 (`Retry-After`, `service.unavailable`), never
another 5xx, a dropped connection or a hang, and the service must recover by itself.

    flock /tmp/garita-bench.lock .venv/bin/python bench/faults/db_restart.py \\
        --seconds 60 --restarts fast,immediate,fast,immediate
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")

from bench.faults import restart_load  # noqa: E402
from bench.faults.harness import Stack, make_env  # noqa: E402
from bench.faults.pgcluster import PrivateCluster, unavailable_reason  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--restarts", default="fast,immediate,fast,immediate",
                        help="modes, spread evenly over the run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--conn-max-age", default="60")
    args = parser.parse_args()
    why = unavailable_reason()
    if why:
        print(f"SKIPPED: {why}")
        return 2
    modes = [m for m in args.restarts.split(",") if m]
    step = args.seconds / (len(modes) + 1)
    plan = [(step * (i + 1), m) for i, m in enumerate(modes)]
    with tempfile.TemporaryDirectory(prefix="garita-dbdrill-") as tmp, \
            PrivateCluster() as cluster:
        cluster.create_database("garita_dbdrill")
        var_dir = Path(tmp)
        stack = Stack(env=make_env(cluster.url("garita_dbdrill"), var_dir,
                                   GARITA_DB_CONN_MAX_AGE=args.conn_max_age), var_dir=var_dir)
        assert stack.garita("migrate", "--noinput", "-v", "0").returncode == 0
        assert stack.garita("fault_drill", "waitlist-setup", "--port", "san-ysidro",
                            "--groups", "20").returncode == 0
        stack.start_web(workers=args.workers)
        print(f"private cluster on 127.0.0.1:{cluster.port} ({cluster.bindir}); gunicorn "
              f"{args.workers} workers, CONN_MAX_AGE={args.conn_max_age}, {args.clients} "
              f"clients; load average {os.getloadavg()[0]:.1f}", flush=True)
        cpu0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        try:
            report = restart_load.run(stack, cluster, seconds=args.seconds, plan=plan,
                                      clients=args.clients)
        finally:
            stack.stop_all()
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in report.lines():
        print(line)
    print(f"wall {time.monotonic() - t0:.1f} s; CPU of the finished children (gunicorn, "
          f"pg_ctl) {cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime:.1f} s; "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    for path, counts in sorted(report.by_path.items()):
        print(f"  {path:<40} " + ", ".join(f"{k}: {v}" for k, v in counts.most_common()))
    return 0 if report.clean and report.recovered else 1


if __name__ == "__main__":
    sys.exit(main())
