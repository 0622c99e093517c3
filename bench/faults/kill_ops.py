"""Kill drill on real operations: SIGKILL the web server and the worker in the middle of a
mass reschedule (HTTP), a waitlist call (HTTP) and a batch of reminders (the worker).

After each kill both are restarted (as systemd would) and, once the outbox has settled:
the audit chain and the waitlist's transparency log verify; the operation happened wholly
or not at all; and the file provider's journal (every delivery it accepted) matches the
outbox exactly: nothing SENT without a delivery, nothing delivered twice, nothing
delivered that the outbox does not call SENT. The provider runs NON-idempotent (like
Twilio) with a simulated 20 ms round trip, so a resend would show as a second delivery.

    flock /tmp/garita-bench.lock .venv/bin/python bench/faults/kill_ops.py --rounds 5
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/garita_faults_ops \\
        flock /tmp/garita-bench.lock .venv/bin/python bench/faults/kill_ops.py --rounds 5

tests/reliability/test_kill_ops.py runs one round of each on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.faults.harness import Stack, fresh_database, make_env  # noqa: E402

PORT = "san-ysidro"
DRILL_ENV = {
    "GARITA_NOTIFY_LEASE_SECONDS": "3",       # a dead worker's rows are recovered soon
    "GARITA_TASK_ORPHAN_SECONDS": "600",      # only a dead pid on this host requeues
    "GARITA_NOTIFY_INLINE_MAX": "100",        # reschedules fan out on the worker
    "GARITA_NOTIFY_BACKOFF_SECONDS": "1",
    "GARITA_FILE_PROVIDER_IDEMPOTENT": "0",   # like Twilio: a resend would deliver twice
    "GARITA_FILE_PROVIDER_LATENCY_MS": "20",
}


@dataclass
class Round:
    scenario: str
    delay_s: float
    answered_before_kill: bool
    outcome: str  # "none" | "whole" | "n/a"
    problems: list[str] = field(default_factory=list)
    detail: str = ""
    back_s: float = 0.0
    facts: dict[str, int] = field(default_factory=dict)
    write_open_at_kill: bool | None = None  # PostgreSQL only: the web's write in flight

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        when = ("mid-batch" if self.scenario == "reminders" else
                f"{'after' if self.answered_before_kill else 'before'} the answer")
        if self.write_open_at_kill is not None:
            when += (", its write transaction open" if self.write_open_at_kill else
                     ", no write transaction open")
        return (f"{self.scenario:<10} killed after {self.delay_s:5.2f} s ({when}), "
                f"outcome {self.outcome:<5} {self.detail}; settled {self.back_s:4.1f} s after "
                f"the kill  {'ok' if self.ok else 'FAIL: ' + '; '.join(self.problems)}")


class Drill:
    def __init__(self, stack: Stack, rng: random.Random) -> None:
        self.stack = stack
        self.rng = rng
        self.tokens: dict[str, str] = {}
        self.timing: dict[str, float] = {}
        self.last_write_open: bool | None = None

    def web_write_open(self) -> bool | None:
        """PostgreSQL: does a web server session hold an open transaction that has written
        (a transaction id assigned)? None on SQLite."""
        url = self.stack.env["DATABASE_URL"]
        if not url.startswith("postgres"):
            return None
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1),
                             autocommit=True, connect_timeout=5) as pg:
            row = pg.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                             "current_database() AND application_name = 'garita-web' "
                             "AND backend_xid IS NOT NULL").fetchone()
        return bool(row and row[0])

    # -- plumbing -------------------------------------------------------------------------
    def world(self, *args: str) -> dict[str, object]:
        proc = subprocess.run([sys.executable, str(ROOT / "bench/faults/world.py"), *args],
                              env=self.stack.env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"world.py {args[0]} failed: {proc.stderr[-2000:]}")
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))

    def state(self) -> dict[str, object]:
        return self.world("state")

    def setup(self, cases: int, groups: int) -> dict[str, object]:
        tokens = self.stack.var_dir / "tokens.json"
        out = self.world("setup", "--cases", str(cases), "--groups", str(groups),
                         "--tokens", str(tokens))
        self.tokens = json.loads(tokens.read_text())
        return out

    def start(self) -> None:
        self.stack.start_web(workers=2)
        self.stack.start_worker("--every", "1")

    def kill_all(self) -> None:
        for name in ("web", "worker"):
            self.stack.kill(name)

    def journal_lines(self) -> int:
        try:
            return (self.stack.var_dir / "outbox" / "sends.jsonl").read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def settle(self, timeout: float = 240) -> dict[str, object]:
        """Wait until nothing is due, nothing is being sent and no fan-out task waits."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.state()
            tasks = dict(st["notify_tasks"])  # type: ignore[arg-type]
            if (st["due_queued"] == 0 and st["sending"] == 0
                    and not tasks.get("READY") and not tasks.get("RUNNING")):
                return st
            if time.monotonic() > deadline:
                raise TimeoutError(f"the outbox did not settle in {timeout}s: {st}")
            time.sleep(1)

    @staticmethod
    def common_problems(st: dict[str, object]) -> list[str]:
        out = list(st["outbox_problems"])  # type: ignore[call-overload]
        if not st["chain_ok"]:
            out.append(f"audit chain broken: {st['chain_problem']}")
        wl = dict(st["waitlist"])  # type: ignore[arg-type]
        if not wl.get("log_ok"):
            out.append(f"transparency log broken: {wl.get('log_problem')}")
        notes = dict(st["notifications"])  # type: ignore[arg-type]
        for bad in ("unconfirmed", "failed"):
            if notes.get(bad):
                out.append(f"{notes[bad]} notifications {bad}")
        return out

    def _http_round(self, scenario: str, path: str, body: dict[str, object], token: str
                    ) -> tuple[float, bool, dict[str, object], bool]:
        """POST, SIGKILL web + worker at a random point of the call, restart."""
        answer: dict[str, object] = {}

        def call() -> None:
            try:
                answer["status"], answer["body"] = self.stack.post_json(path, body, token)
            except OSError as exc:  # the server died under the request
                answer["error"] = repr(exc)

        took = self.timing.get(scenario)
        if took is None:  # calibrate: the same operation, left alone
            t0 = time.monotonic()
            call()
            self.timing[scenario] = time.monotonic() - t0
            if answer.get("status") not in (200, 201):
                raise RuntimeError(f"{scenario} calibration failed: {answer}")
            return self.timing[scenario], True, answer, False
        pg = self.stack.env["DATABASE_URL"].startswith("postgres")
        pick = self.rng.random()
        thread = threading.Thread(target=call, daemon=True)
        t0 = time.monotonic()
        if pg and pick < 1 / 3:
            # PostgreSQL: watch pg_stat_activity and kill the moment the web server's
            # transaction has written (a transaction id assigned), plus 0-50 ms.
            import psycopg

            url = self.stack.env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
            with psycopg.connect(url, autocommit=True) as watch:
                thread.start()
                while time.monotonic() - t0 < took * 3 and "status" not in answer:
                    row = watch.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND application_name = 'garita-web' "
                        "AND backend_xid IS NOT NULL").fetchone()
                    if row and row[0]:
                        break
                    time.sleep(0.002)
            time.sleep(self.rng.uniform(0, 0.05))
        else:
            if pick < 2 / 3:
                delay = self.rng.uniform(0.0, took * 0.9)  # while the request is served
            else:  # after the answer: the worker is fanning out and sending its notices
                delay = self.rng.uniform(took, took + 4.0)
            thread.start()
            time.sleep(delay)
        delay = time.monotonic() - t0
        answered = "status" in answer
        self.last_write_open = self.web_write_open()
        self.kill_all()
        thread.join(60)
        return delay, answered, answer, True

    # -- scenarios ------------------------------------------------------------------------
    def reschedule(self) -> Round:
        before = self.state()
        delay, answered, answer, killed = self._http_round(
            "reschedule", "/api/v1/hearings/reschedule/apply",
            {"rule": "plus_days", "days": 3, "reason": "Fault drill: court closed"},
            self.tokens["clerk"])
        t_kill = time.monotonic()
        calibration = not killed
        if killed:
            self.start()
        after = self.settle()
        r = Round("reschedule", delay, answered, "n/a", back_s=time.monotonic() - t_kill,
                  write_open_at_kill=self.last_write_open if killed else None)
        new = [b for b in after["batches"] if b not in before["batches"]]  # type: ignore[attr-defined]
        if not new:
            r.outcome = "none"
            if after["hearings_fingerprint"] != before["hearings_fingerprint"]:
                r.problems.append("no batch, yet hearings changed")
            if after["changes_per_batch"] != before["changes_per_batch"] or \
                    after["notices_per_batch"] != before["notices_per_batch"]:
                r.problems.append("no batch, yet history rows or notices were written")
            if after["changed_notices"] != before["changed_notices"]:
                r.problems.append("no batch, yet change notices were queued")
            if answered and answer and answer.get("status") == 201:
                r.problems.append("the server answered 201 but nothing was kept")
        elif len(new) == 1:
            r.outcome = "whole"
            b = new[0]
            moved = int(b["moved"])
            changes = dict(after["changes_per_batch"]).get(str(b["id"]), 0)  # type: ignore[arg-type]
            notified = int(after["changed_notices"]) - int(before["changed_notices"])  # type: ignore[call-overload]
            requeued = int(after["tasks_requeued"]) - int(before["tasks_requeued"])  # type: ignore[call-overload]
            r.detail = (f"({moved} moved, {changes} history rows, {notified} re-noticed; "
                        f"{requeued} fan-out tasks requeued)")
            if after["hearings_fingerprint"] == before["hearings_fingerprint"]:
                r.problems.append("a batch, yet no hearing changed")
            if changes != moved:
                r.problems.append(f"{moved} moved but {changes} history rows")
            if notified != moved:
                r.problems.append(f"{moved} moved but {notified} hearings re-noticed")
        else:
            r.problems.append(f"{len(new)} batches from one request")
        r.problems += self.common_problems(after)
        if calibration:
            r.scenario = "reschedule (not killed)"
        return r

    def call(self) -> Round:
        before = self.state()
        delay, answered, answer, killed = self._http_round(
            "call", f"/api/v1/waitlist/{PORT}/call", {"capacity": 100},
            self.tokens["officer"])
        t_kill = time.monotonic()
        calibration = not killed
        if killed:
            self.start()
        after = self.settle()
        r = Round("call" + (" (not killed)" if calibration else ""), delay, answered, "n/a",
                  back_s=time.monotonic() - t_kill,
                  write_open_at_kill=self.last_write_open if killed else None)
        w0, w1 = dict(before["waitlist"]), dict(after["waitlist"])  # type: ignore[arg-type]
        keys = ("calls", "groups_in_calls", "called", "log_entries")
        if all(w0[k] == w1[k] for k in keys):
            r.outcome = "none"
            if answered and answer and answer.get("status") == 200:
                r.problems.append("the server answered 200 but nothing was kept")
        elif w1["calls"] == w0["calls"] + 1:  # type: ignore[operator]
            r.outcome = "whole"
            groups = w1["groups_in_calls"] - w0["groups_in_calls"]  # type: ignore[operator]
            called = w1["called"] - w0["called"]  # type: ignore[operator]
            logged = w1["log_entries"] - w0["log_entries"]  # type: ignore[operator]
            r.detail = f"({groups} groups called, {logged} log entries)"
            if not groups or not called == logged == groups:
                r.problems.append(f"call of {groups} groups, {called} marked, {logged} logged")
        else:
            r.problems.append(f"waitlist moved inconsistently: {w0} -> {w1}")
        r.problems += self.common_problems(after)
        return r

    def reminders(self, hearings: int) -> Round:
        self.stack.kill("worker")  # hold sending while the reminders fall due
        self.world("reminders-due", "--hearings", str(hearings))
        before = self.state()
        lines0 = self.journal_lines()
        target = self.rng.randint(1, max(1, hearings - 1))
        t0 = time.monotonic()
        self.stack.start_worker("--every", "1")
        deadline = time.monotonic() + 180
        while self.journal_lines() - lines0 < target and time.monotonic() < deadline:
            time.sleep(0.005)
        # Anywhere in the next 1.5 sends: before the provider accepts, after it accepted
        # but before the outbox marks it (the window that matters), or between messages.
        time.sleep(self.rng.uniform(0, 0.03))
        delay = time.monotonic() - t0
        done = self.journal_lines() - lines0
        self.kill_all()
        t_kill = time.monotonic()
        self.start()
        after = self.settle()
        r = Round("reminders", delay, False, "n/a", back_s=time.monotonic() - t_kill)
        planned = int(after["reminders"]) - int(before["reminders"])  # type: ignore[call-overload]
        # Deliveries of the report-time reminders only: moving a hearing to six hours from
        # now can also make its 1-day reminder due (when that crosses midnight in the
        # port's zone, its 09:00 the day before is within the planner's grace), which is
        # right, and is not a resend (a resend shows in common_problems).
        def report_deliveries(st: dict[str, object]) -> int:
            return int(dict(st["deliveries_by_event"]).get(  # type: ignore[arg-type]
                "reminder_report", 0))

        delivered = report_deliveries(after) - report_deliveries(before)
        rec0, rec1 = dict(before["recovered"]), dict(after["recovered"])  # type: ignore[arg-type]
        settled = {k: rec1.get(k, 0) - rec0.get(k, 0) for k in ("sent", "queued")}
        r.outcome = "once"
        r.facts = {"delivered_before_kill": done, "reminders": planned,
                   "deliveries": delivered, **settled}
        r.detail = (f"({done} delivered before the kill; after it {settled['sent']} left "
                    f"SENDING were found delivered, {settled['queued']} not yet, and resent; "
                    f"{planned} reminders, {delivered} deliveries)")
        if planned < hearings:
            r.problems.append(f"{hearings} hearings due but only {planned} reminders planned")
        r.problems += self.common_problems(after)
        return r


def open_drill(url: str, var_dir: Path, seed: int, cases: int, groups: int) -> Drill:
    stack = Stack(env=make_env(url, var_dir, **DRILL_ENV), var_dir=var_dir)
    migrated = stack.garita("migrate", "--noinput", "-v", "0")
    if migrated.returncode != 0:
        raise RuntimeError(migrated.stderr)
    drill = Drill(stack, random.Random(seed))
    drill.setup(cases, groups)
    drill.start()
    return drill


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each scenario")
    parser.add_argument("--cases", type=int, default=1500)
    parser.add_argument("--groups", type=int, default=400)
    parser.add_argument("--reminders", type=int, default=150)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="garita-killops-") as tmp:
        if not url:
            url = f"sqlite:///{tmp}/drill.sqlite3"
        elif url.startswith("postgres"):
            fresh_database(url)
        var_dir = Path(tmp) / "var"
        var_dir.mkdir()
        t0 = time.monotonic()
        drill = open_drill(url, var_dir, args.seed, args.cases, args.groups)
        print(f"{url.split('://')[0]}: {args.cases} cases, {args.groups} groups; set up in "
              f"{time.monotonic() - t0:.0f} s; load average {os.getloadavg()[0]:.1f}",
              flush=True)
        try:
            for scenario in ("reschedule", "call"):
                for _ in range(args.rounds + 1):  # the first one calibrates, not killed
                    r = getattr(drill, scenario)()
                    rounds.append(r)
                    print(r.line(), flush=True)
            for _ in range(args.rounds):
                r = drill.reminders(args.reminders)
                rounds.append(r)
                print(r.line(), flush=True)
        finally:
            drill.stack.stop_all()
    killed = [r for r in rounds if "not killed" not in r.scenario]
    for name in ("reschedule", "call", "reminders"):
        mine = [r for r in killed if r.scenario == name]
        print(f"{name}: {sum(r.ok for r in mine)}/{len(mine)} rounds clean; outcomes "
              f"none={sum(r.outcome == 'none' for r in mine)} "
              f"whole={sum(r.outcome == 'whole' for r in mine)} "
              f"sent-once={sum(r.outcome == 'once' for r in mine)}"
              + (f"; killed with the write transaction open: "
                 f"{sum(bool(r.write_open_at_kill) for r in mine)}"
                 if any(r.write_open_at_kill is not None for r in mine) else ""))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0 if all(r.ok for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
