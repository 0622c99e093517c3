"""Requests flowing while a private PostgreSQL cluster restarts; every answer classified.

Clean answers are 200 and the retry-able 503 (`Retry-After` + `service.unavailable`);
anything else (another 5xx, a 503 without Retry-After, a dropped connection, a request
hanging past the client's timeout) is a failure. Shared by tests/reliability/
test_db_restart.py (short) and bench/faults/db_restart.py (long).
"""

from __future__ import annotations

import collections
import http.client
import json
import threading
import time
from dataclasses import dataclass, field

from bench.faults.harness import Stack
from bench.faults.pgcluster import PrivateCluster

CLEAN = {"200", "503 retry-able"}
PATHS = ("/api/v1/health", "/waitlist/san-ysidro/", "/api/v1/waitlist/san-ysidro/board")


@dataclass
class Restart:
    mode: str
    began: float  # seconds since the load started
    ended: float
    recovered: float | None = None  # first 200 after which every answer was 200


@dataclass
class Report:
    seconds: float
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    by_path: dict[str, collections.Counter[str]] = field(default_factory=dict)
    timeline: list[tuple[float, float, str, str]] = field(default_factory=list)
    restarts: list[Restart] = field(default_factory=list)
    slowest_s: float = 0.0

    @property
    def clean(self) -> bool:
        return set(self.outcomes) <= CLEAN

    @property
    def recovered(self) -> bool:
        return bool(self.restarts) and all(r.recovered is not None for r in self.restarts)

    def lines(self) -> list[str]:
        out = [f"{sum(self.outcomes.values())} requests in {self.seconds:.0f} s; by outcome:"]
        for kind, n in self.outcomes.most_common():
            out.append(f"  {kind:<42} {n}")
        for r in self.restarts:
            rec = (f"all answers 200 again {r.recovered - r.ended:+.2f} s after pg_ctl "
                   f"returned ({r.recovered - r.began:.2f} s after it began)"
                   if r.recovered is not None else "NOT recovered")
            bad = sum(1 for s, e, _p, k in self.timeline if k != "200" and e >= r.began
                      and (r.recovered is None or s < r.recovered))
            out.append(f"restart -m {r.mode:<9} at {r.began:6.2f} s, pg_ctl took "
                       f"{r.ended - r.began:.2f} s; {bad} non-200 answers; {rec}")
        out.append(f"slowest answer {self.slowest_s:.2f} s; clean failures only: "
                   f"{self.clean}; recovered by itself: {self.recovered}")
        return out


def _classify(stack: Stack, path: str, timeout: float) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        res = conn.getresponse()
        body = res.read()
        if res.status == 503:
            try:
                code = json.loads(body).get("code")
            except ValueError:
                code = None
            if res.getheader("Retry-After") and code == "service.unavailable":
                return "503 retry-able"
            return "503 WITHOUT Retry-After/code"
        return str(res.status)
    except TimeoutError:
        return f"hang (no answer in {timeout:.0f} s)"
    except OSError as exc:
        return f"connection error ({type(exc).__name__})"
    except http.client.HTTPException as exc:
        return f"broken answer ({type(exc).__name__})"
    finally:
        conn.close()


def run(stack: Stack, cluster: PrivateCluster, *, seconds: float,
        plan: list[tuple[float, str]], clients: int = 6, timeout: float = 15,
        pause: float = 0.02) -> Report:
    """Drive `clients` threads for `seconds`; restart the cluster at each (at, mode)."""
    report = Report(seconds=seconds)
    lock = threading.Lock()
    start = time.monotonic()
    stop = start + seconds

    def client(i: int) -> None:
        n = i
        while time.monotonic() < stop:
            path = PATHS[n % len(PATHS)]
            n += 1
            t0 = time.monotonic()
            kind = _classify(stack, path, timeout)
            t1 = time.monotonic()
            with lock:
                report.outcomes[kind] += 1
                report.by_path.setdefault(path, collections.Counter())[kind] += 1
                report.timeline.append((t0 - start, t1 - start, path, kind))
                report.slowest_s = max(report.slowest_s, t1 - t0)
            time.sleep(pause)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for at, mode in plan:
        time.sleep(max(0.0, start + at - time.monotonic()))
        began = time.monotonic() - start
        cluster.restart(mode)
        report.restarts.append(Restart(mode=mode, began=began, ended=time.monotonic() - start))
    for t in threads:
        t.join(timeout + seconds)
    report.timeline.sort()
    for i, r in enumerate(report.restarts):
        until = report.restarts[i + 1].began if i + 1 < len(report.restarts) else seconds
        # Requests that end before the next restart begins (those overlapping it are its).
        window = [x for x in report.timeline if x[1] >= r.began and x[1] < until]
        last_bad = max((s for s, _e, _p, k in window if k != "200"), default=None)
        after = [x for x in window if last_bad is None or x[0] > last_bad]
        if after:
            r.recovered = after[0][1]  # the end of the first request of the all-200 tail
    return report
