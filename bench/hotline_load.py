"""Hotline look-ups under load: /status and the IVR answer step vs an empty response.

Loads N cases with hearings (default 100,000) into DATABASE_URL (or a SQLite file under
var/), serves Garita with gunicorn on loopback, and drives each endpoint with C concurrent
clients for D seconds; prints throughput, the ratio to the empty response through the same
middleware stack (/status: the pages' stack, the IVR step: the webhooks'; see
garita.core.handlers), p50/p99 latency and the server's CPU per request. The load
generator is `wrk` when installed (`apt-get install wrk`: a C client that leaves the CPU to
the server) with pre-computed requests (signed Twilio requests, a CSRF cookie and token),
else asyncio + aiohttp. A non-200 answer or a body
without the expected words counts as an error. Run: .venv/bin/python bench/hotline_load.py
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
# The empty response through each of the application's two middleware stacks
# (garita.core.handlers): /status is measured against the pages' one, the IVR step against
# the webhooks' one, i.e. each look-up against the same server's floor for that path.
EMPTY_PATHS = {"empty": "/bench/empty", "empty_webhook": "/hotline/bench/empty"}
BASELINE = {"status": "empty", "ivr": "empty_webhook", "floor": "empty_webhook"}
BENCH = Path(__file__).resolve().parent
TOKEN = "bench-auth-token"
CALLER = "+526641000000"


def a_number(i: int) -> str:
    return f"A{300_000_000 + i:09d}"


def pin(i: int) -> str:
    return f"{(i * 7919 + 13) % 1_000_000:06d}"


def setup_django() -> None:
    sys.path.insert(0, str(BENCH))
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline_bench_settings"
    import django

    django.setup()


def load(n: int) -> None:
    """Bulk-load n cases (one hearing each) unless they are already there."""
    from django.core.management import call_command
    from django.utils import timezone

    from garita.accounts.models import User
    from garita.core.models import Port
    from garita.core.reference import ensure_reference_data
    from garita.hearings.models import Court, Hearing, HearingLocation
    from garita.intake.models import Case, Encounter, Person
    from garita.intake.pins import pin_digest

    call_command("migrate", verbosity=0)
    ensure_reference_data()
    have = Case.objects.filter(a_number__startswith="A3").count()
    if have >= n:
        print(f"database: {have} bench cases already loaded")
        _redigest_if_the_secret_changed(n)
        return
    port = Port.objects.get(slug="san-ysidro")
    officer, _ = User.objects.get_or_create(username="bench-officer",
                                            defaults={"role": "port_officer"})
    court, _ = Court.objects.get_or_create(slug="bench-court", defaults={
        "name": "San Diego Immigration Court", "address": "401 West A Street\nSan Diego, CA",
        "legal_service_providers": [{"name": "Legal Aid", "phone": "+16195550000"}]})
    loc = court.locations.first() or HearingLocation.objects.create(
        court=court, name="San Diego Immigration Court", address="401 West A Street")
    now = timezone.now()
    t0 = time.perf_counter()
    batch = 5000
    for start in range(have, n, batch):
        idx = range(start, min(start + batch, n))
        encs = Encounter.objects.bulk_create([
            Encounter(port=port, occurred_at=now, officer=officer, family_type="single_adult")
            for _ in idx])
        people = Person.objects.bulk_create([
            Person(encounter=e, given_names="Bench", surnames="Person",
                   date_of_birth=dt.date(1990, 1, 1), nationality="HND", languages=["spa"],
                   is_head=True) for e in encs])
        cases = Case.objects.bulk_create([
            Case(person=p, a_number=a_number(i), port=port, status="returned_to_mexico",
                 status_changed_at=now, lookup_pin_digest=pin_digest(a_number(i), pin(i)))
            for p, i in zip(people, idx, strict=True)])
        Hearing.objects.bulk_create([
            Hearing(case=c, court=court, location=loc, calendar="master",
                    starts_at=now + dt.timedelta(days=10 + i % 200),
                    report_port=port, report_at=now + dt.timedelta(days=10 + i % 200, hours=-4),
                    noticed_at=now) for c, i in zip(cases, idx, strict=True)])
        print(f"\rloaded {min(start + batch, n):,}/{n:,} cases", end="", flush=True)
    print(f"\nloaded in {time.perf_counter() - t0:.0f} s")


def server_cpu(pid: int) -> float:
    """User+system CPU seconds of gunicorn's master and workers (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[1] is the parent pid, [11] utime, [12] stime (after the command name)
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _redigest_if_the_secret_changed(n: int) -> None:
    """PIN digests are keyed with SECRET_KEY; a database loaded under another secret (another
    checkout's var/) would answer every look-up "not found". Re-key them in that case."""
    from django.db import connection, transaction

    from garita.intake.models import Case
    from garita.intake.pins import pin_digest

    sample = Case.objects.filter(a_number=a_number(0)).values_list("lookup_pin_digest",
                                                                   flat=True).first()
    if sample == pin_digest(a_number(0), pin(0)):
        return
    print("PIN digests were made under another SECRET_KEY: re-keying them ...", flush=True)
    t0 = time.perf_counter()
    table = connection.ops.quote_name(Case._meta.db_table)
    with transaction.atomic(), connection.cursor() as cur:
        for start in range(0, n, 5000):
            rows = [(pin_digest(a_number(i), pin(i)), a_number(i))
                    for i in range(start, min(start + 5000, n))]
            cur.executemany(f"UPDATE {table} SET lookup_pin_digest = %s WHERE a_number = %s",
                            rows)
    print(f"re-keyed {n:,} digests in {time.perf_counter() - t0:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="hotline_bench_settings",
               PYTHONPATH=str(BENCH))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "garita.config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
         "--backlog", "2048", "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/empty", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


async def run(kind: str, base: str, n: int, concurrency: int, duration: float,
              warmup: float) -> dict[str, float]:
    import aiohttp
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    latencies: list[float] = []
    errors = 0
    stop_at = 0.0
    record_from = 0.0

    async def client(k: int) -> None:
        nonlocal errors
        rng = random.Random(k)
        jar = aiohttp.CookieJar(unsafe=True)
        conn = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(cookie_jar=jar, connector=conn) as s:
            csrf = ""
            if kind == "status":
                async with s.get(f"{base}/status") as r:
                    html = await r.text()
                csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    return
                i = rng.randrange(n)
                t = time.perf_counter()
                if kind in EMPTY_PATHS:
                    req = s.get(base + EMPTY_PATHS[kind])
                elif kind == "floor":
                    req = s.post(f"{base}/hotline/bench/floor?{urlencode({'a': a_number(i)})}",
                                 data={"Digits": pin(i)})
                elif kind == "status":
                    req = s.post(f"{base}/status", data={
                        "csrfmiddlewaretoken": csrf, "a_number": a_number(i), "pin": pin(i)},
                        headers={"Referer": f"{base}/status"})
                else:
                    path = "/hotline/voice/pin?" + urlencode(
                        {"lang": "es", "a": a_number(i), "tries": 0})
                    params = {"Digits": pin(i), "From": CALLER}
                    sig = validator.compute_signature(base + path, params)
                    req = s.post(base + path, data=params, headers={"X-Twilio-Signature": sig})
                async with req as r:
                    body = await r.read()
                    ok = r.status == 200 and (kind in EMPTY_PATHS or b"A***" in body
                                              or b"audiencia" in body or body == b"found")
                done = time.perf_counter()
                if not ok:
                    errors += 1
                if t >= record_from:
                    latencies.append(done - t)

    start = time.perf_counter()
    record_from = start + warmup
    stop_at = record_from + duration
    await asyncio.gather(*(client(k) for k in range(concurrency)))
    lat = sorted(latencies)
    return {
        "requests": len(lat), "errors": errors, "rps": len(lat) / duration,
        "p50_ms": statistics.median(lat) * 1000 if lat else float("nan"),
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000 if lat else float("nan"),
    }


WRK_SCRIPT = r"""
-- Generated by bench/hotline_load.py: pre-computed requests, checked answers.
local reqs = dofile("%(requests)s")
local expect = "%(expect)s"
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end
local i = 0
bad = 0  -- global: done() reads it with thread:get
function init(args)
  i = offset or 0
end
function request()
  i = i + 1
  return reqs[(i %% #reqs) + 1]
end
function response(status, headers, body)
  if status ~= 200 or (expect ~= "" and not string.find(body, expect, 1, true)) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + (t:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "bad": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d}\n',
    summary.requests, summary.duration, bad_total,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def lua_string(text: str) -> str:
    return "\"" + "".join(
        c if c.isalnum() or c in " /:=.,-_?&%*+;" else f"\\{ord(c):03d}" for c in text) + "\""


def wrk_requests(kind: str, base: str, n: int, count: int) -> tuple[list[str], str]:
    """`count` raw HTTP requests for random cases, and the words a good answer contains."""
    from twilio.request_validator import RequestValidator

    rng = random.Random(2019)
    host = base.split("//", 1)[1]
    if kind in EMPTY_PATHS:
        return [f"GET {EMPTY_PATHS[kind]} HTTP/1.1\r\nHost: {host}\r\n\r\n"], ""
    out = []
    if kind == "floor":  # hotline_bench_urls.floor: the least a look-up must do
        for _ in range(count):
            i = rng.randrange(n)
            body = urlencode({"Digits": pin(i)})
            out.append(
                f"POST /hotline/bench/floor?{urlencode({'a': a_number(i)})} HTTP/1.1\r\n"
                f"Host: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n{body}")
        return out, "found"
    if kind == "status":
        with urllib.request.urlopen(f"{base}/status") as r:
            html = r.read().decode()
            cookie = next(v.split(";", 1)[0] for k, v in r.getheaders()
                          if k.lower() == "set-cookie" and v.startswith("csrftoken="))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        for _ in range(count):
            i = rng.randrange(n)
            body = urlencode({"csrfmiddlewaretoken": token, "a_number": a_number(i),
                              "pin": pin(i)})
            out.append(
                f"POST /status HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
                f"Referer: {base}/status\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n{body}")
        return out, "A***"
    validator = RequestValidator(TOKEN)
    for _ in range(count):
        i = rng.randrange(n)
        path = "/hotline/voice/pin?" + urlencode({"lang": "es", "a": a_number(i), "tries": 0})
        params = {"Digits": pin(i), "From": CALLER}
        sig = validator.compute_signature(base + path, params)
        body = urlencode(params)
        out.append(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nX-Twilio-Signature: {sig}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}")
    return out, "audiencia"


def run_wrk(kind: str, base: str, n: int, concurrency: int, duration: float,
            warmup: float, threads: int, cpu: Any = None) -> dict[str, float]:
    """Warm up, then measure; `cpu()` (the server's CPU seconds) is read around the measured
    run only, so the warm-up's work is not charged to the measured requests."""
    reqs, expect = wrk_requests(kind, base, n, 20_000)
    with tempfile.TemporaryDirectory() as tmp:
        req_file = Path(tmp) / "requests.lua"
        req_file.write_text("return {\n" + ",\n".join(lua_string(r) for r in reqs) + "\n}\n")
        script = Path(tmp) / "script.lua"
        script.write_text(WRK_SCRIPT % {"requests": req_file, "expect": expect})

        def wrk(seconds: float) -> dict[str, float]:
            cmd = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d",
                   f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script), base]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            return json.loads(out.strip().splitlines()[-1])

        if warmup > 0:
            wrk(warmup)
        c0 = cpu() if cpu else 0.0
        r = wrk(duration)
        used = cpu() - c0 if cpu else float("nan")
    secs = r["duration_us"] / 1e6
    return {"requests": r["requests"], "errors": r["bad"] + r["socket_errors"],
            "rps": r["requests"] / secs, "p50_ms": r["p50_us"] / 1000,
            "p99_ms": r["p99_us"] / 1000,
            "server_cpu_ms": used * 1000 / max(1, r["requests"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)  # best on a quiet machine (benchmarks.md)
    ap.add_argument("--client", choices=["auto", "wrk", "aiohttp"], default="auto",
                    help="load generator (auto: wrk when installed)")
    ap.add_argument("--wrk-threads", type=int, default=1)
    ap.add_argument("--only", default="status,ivr",
                    help="comma-separated look-ups to measure: status, ivr, and floor (the "
                         "least any look-up must do: hotline_bench_urls.floor); the two "
                         "empty responses are always measured first")
    args = ap.parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "aiohttp"
    if "DATABASE_URL" not in os.environ:
        os.environ["GARITA_VAR_DIR"] = os.environ.get("GARITA_VAR_DIR", str(ROOT / "var" / "bench"))
    setup_django()
    from django.db import connection

    load(args.cases)
    connection.close()
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    kinds = ["empty", "empty_webhook"] + [k for k in args.only.split(",")
                                          if k in ("status", "ivr", "floor")]
    load0 = os.getloadavg()
    try:
        results = {}
        for kind in kinds:
            if client == "wrk":
                results[kind] = run_wrk(kind, base, args.cases, args.concurrency,
                                        args.duration, args.warmup, args.wrk_threads,
                                        cpu=lambda: server_cpu(server.pid))
            else:  # aiohttp: CPU over warm-up and run, per measured request (an upper bound)
                c0 = server_cpu(server.pid)
                results[kind] = asyncio.run(run(kind, base, args.cases, args.concurrency,
                                                args.duration, args.warmup))
                used = server_cpu(server.pid) - c0
                results[kind]["server_cpu_ms"] = used * 1000 / max(1, results[kind]["requests"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    db = connection.settings_dict["ENGINE"].rsplit(".", 1)[-1]
    load1 = os.getloadavg()
    print(f"\n{args.cases:,} cases, {db}, gunicorn {args.workers} workers x {args.threads} "
          f"threads, {args.concurrency} clients ({client}), {args.duration:.0f} s each")
    print(f"load average before {load0[0]:.2f}, after {load1[0]:.2f} "
          f"(1 min; {os.cpu_count()} CPUs)")
    print(f"{'endpoint':<34}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'srv CPU ms':>12}")
    names = {"empty": "empty response (pages stack)",
             "empty_webhook": "empty response (webhook stack)",
             "status": "POST /status (look-up)", "ivr": "POST /hotline/voice/pin",
             "floor": "floor (read, HMAC, audit insert)"}
    for kind, r in results.items():
        base_rps = results[BASELINE.get(kind, kind)]["rps"]
        print(f"{names[kind]:<34}{r['rps']:>9.0f}{r['rps'] / base_rps:>8.2f}{r['p50_ms']:>9.1f}"
              f"{r['p99_ms']:>9.1f}{r['errors']:>8}{r['server_cpu_ms']:>12.2f}")
    print("ratio: to the empty response through the same middleware stack "
          f"(/status: pages, IVR: webhooks); IVR to the pages' empty response: "
          f"{results['ivr']['rps'] / results['empty']['rps']:.2f}" if "ivr" in results else "")
    if "floor" in results:
        print("floor: the least any look-up must do (hotline_bench_urls.floor); its ratio "
              f"to the pages' empty response: "
              f"{results['floor']['rps'] / results['empty']['rps']:.2f}")
    met = all(results[k]["rps"] / results[BASELINE[k]]["rps"] >= 0.5
              and results[k]["p99_ms"] < 50 and results[k]["errors"] == 0
              for k in kinds if k in ("status", "ivr"))
    print("target (ratio >= 0.5, p99 < 50 ms, no errors): " + ("MET" if met else "NOT MET"))


if __name__ == "__main__":
    main()
