"""Long-form kill drill: SIGKILL the web server, the worker and a long audited write at
random points, many times, on PostgreSQL; after each restart the chain must verify and the
write must be all-or-nothing. Prints one line per round and a summary.

    .venv/bin/python bench/faults/kill_drill.py --rounds 20
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/garita_faults .venv/bin/python \\
        bench/faults/kill_drill.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")

import django  # noqa: E402

django.setup()

from bench.faults.harness import (  # noqa: E402
    Stack,
    fresh_database,
    make_env,
    wait_for_progress,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/garita_faults")
    rng = random.Random(args.seed)
    if url.startswith("postgres"):
        fresh_database(url)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="garita-drill-") as tmp:
        var_dir = Path(tmp)
        stack = Stack(env=make_env(url, var_dir), var_dir=var_dir)
        assert stack.garita("migrate", "--noinput", "-v", "0").returncode == 0
        try:
            stack.start_web(workers=2)
            stack.start_worker()
            for n in range(1, args.rounds + 1):
                label = f"drill-{uuid.uuid4().hex[:8]}"
                progress = var_dir / f"progress-{n}"
                kill_at = rng.randint(1, args.events - 1)
                stack.spawn("write", "fault_drill", "burst", "--label", label, "--events",
                            str(args.events), "--pause-ms", "1", "--progress-file", str(progress))
                reached = wait_for_progress(progress, at_least=kill_at, timeout=300)
                t0 = time.monotonic()
                for name in ("write", "worker", "web"):
                    stack.kill(name)
                stack.start_web(workers=2)
                stack.start_worker()
                back = time.monotonic() - t0
                state = stack.burst_state(label)
                ok = bool(state["chain_ok"]) and state["events"] in (0, args.events)
                failures += not ok
                print(f"round {n:>3}: killed at step {reached:>5}/{args.events}, "
                      f"events kept {state['events']:>5}, chain "
                      f"{'OK' if state['chain_ok'] else 'BROKEN'}, serving again after "
                      f"{back:.1f}s  {'ok' if ok else 'FAIL'}", flush=True)
        finally:
            stack.stop_all()
    print(f"kill drill: {args.rounds - failures}/{args.rounds} rounds all-or-nothing with a "
          "valid chain")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
