"""Waitlist benchmarks: log append with hashing, inclusion proofs, full verify, a day's call.

Runs on a scratch database (SQLite under a temporary GARITA_VAR_DIR unless DATABASE_URL is
set) and prints its figures, each with wall time, CPU time (user+sys of this process) and
the target, plus the load average before and after. Usage (never two benchmarks at once):
    flock /tmp/garita-bench.lock .venv/bin/python bench/waitlist_bench.py \
        [--events 1000000] [--groups 100000]
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=10_000)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="garita-bench-")
    if "GARITA_VAR_DIR" not in os.environ:  # our scratch database: removed at the end
        atexit.register(shutil.rmtree, tmp, True)
    os.environ.setdefault("GARITA_VAR_DIR", tmp)
    os.environ.setdefault("GARITA_KEY_DIR", os.path.join(tmp, "keys"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from garita.core.models import Port
    from garita.core.reference import ensure_reference_data
    from garita.waitlist import log as wlog
    from garita.waitlist import merkle, services
    from garita.waitlist.models import Group, Waitlist

    ensure_reference_data()
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"load average before: {_load()} ({os.cpu_count()} CPUs)")
    wl = services.port_waitlist("san-ysidro")
    t0 = timezone.now()

    # 1. Append events with their hashing, in batches (one transaction each).
    start, cpu = time.perf_counter(), _cpu()
    done = 0
    while done < args.events:
        n = min(args.batch, args.events - done)
        with transaction.atomic():
            locked = Waitlist.objects.select_for_update().select_related("port").get(pk=wl.pk)
            wlog.append(locked, [
                wlog.NewEvent("registered", t0 + dt.timedelta(seconds=done + i), done + i + 1,
                              1 + (done + i) % 5, f"{done + i:064x}")
                for i in range(n)])
        done += n
    secs, cpu = time.perf_counter() - start, _cpu() - cpu
    print(f"append: {done} events in {secs:.1f} s wall = {done / secs:,.0f} events/s "
          f"(CPU {cpu:.1f} s = {done / cpu:,.0f} events per CPU-second); "
          f"target >= 20,000/s: {_met(done / secs >= 20000)}")
    wl.refresh_from_db()

    # 2. Inclusion proofs (index, tree size, leaf hash, root, path) for random entries:
    # a first pass reads and levels tiles from the database, a second pass finds them cached.
    rng = random.Random(7)
    wlog.clear_cache()
    picks = [rng.randrange(wl.log_size) for _ in range(1000)]
    timings: dict[str, list[float]] = {"cold": [], "warm": []}
    for label in ("cold", "warm"):
        for i in picks:
            s = time.perf_counter()
            out = wlog.inclusion(wl, i)
            timings[label].append(time.perf_counter() - s)
    merkle.verify_inclusion(i, out["tree_size"], bytes.fromhex(out["leaf_hash"]),
                            [bytes.fromhex(p) for p in out["proof"]],
                            bytes.fromhex(out["root_hash"]))
    for label, ts in timings.items():
        ts.sort()
        med = statistics.median(ts) * 1000
        how = "first read of each tile from the database" if label == "cold" else "tiles cached"
        print(f"inclusion proof over {wl.log_size} entries ({label}: {how}"
              f", 1000 random entries): median {med:.3f} ms, "
              f"p99 {ts[int(len(ts) * 0.99)] * 1000:.3f} ms; target < 1 ms: {_met(med < 1)}")

    # 3. Full verify.
    with transaction.atomic():
        wlog.latest_checkpoint(Waitlist.objects.select_related("port").get(pk=wl.pk))
    s, cpu = time.perf_counter(), _cpu()
    res = wlog.verify(wl)
    secs, cpu = time.perf_counter() - s, _cpu() - cpu
    print(f"verify: {res.size} entries in {secs:.1f} s wall (CPU {cpu:.1f} s), ok={res.ok}; "
          f"target < 30 s: {_met(secs < 30 and res.ok)}")

    # 4. A day's call of 1,450 persons over a list of --groups groups.
    port = Port.objects.get(slug="el-paso")
    other = services.port_waitlist(port)
    sizes = [rng.choice([1, 1, 2, 3, 4, 5]) for _ in range(args.groups)]
    Group.objects.bulk_create([
        Group(waitlist=other, number=i + 1, size=s, registered_at=t0, pin_digest="x",
              identity_salt="00", commitment=f"{i:064x}") for i, s in enumerate(sizes)],
        batch_size=5000)
    Waitlist.objects.filter(pk=other.pk).update(next_number=args.groups + 1)
    from garita.accounts.models import User

    officer = User.objects.create(username="bench-officer", role="port_officer")
    s, cpu = time.perf_counter(), _cpu()
    call = services.call_next(actor=officer, port=port, capacity=1450)
    secs, cpu = time.perf_counter() - s, _cpu() - cpu
    print(f"call: {call.persons} persons / {call.groups_count} groups over "
          f"{args.groups} groups in {secs * 1000:.0f} ms wall (CPU {cpu * 1000:.0f} ms); "
          f"target < 1 s: {_met(secs < 1)}")
    print(f"load average after: {_load()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
