"""CPU and queries per request of the hotline look-ups, in process (no server, no load).

The load-independent companion of bench/hotline_load.py: drives /bench/empty, POST /status,
POST /hotline/voice/pin and the floor (hotline_bench_urls.floor: the least a look-up must
do) through Django's WSGI handler (the application gunicorn calls, without
django.test.Client's template instrumentation), one request at a time, and prints the
CPU time (user+sys of this process; on SQLite that includes the database's work, on
PostgreSQL it does not) and the number of queries per request. `--profile status|ivr|floor`
prints a cProfile of that endpoint instead.

    .venv/bin/python bench/hotline_profile.py                 # SQLite under var/bench_profile
    .venv/bin/python bench/hotline_profile.py --profile ivr
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import hotline_load as hl  # noqa: E402

FORM = "application/x-www-form-urlencoded"  # as browsers and Twilio send them


def cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--profile", choices=["empty", "empty_webhook", "status", "ivr", "floor"])
    ap.add_argument("--save", metavar="FILE", help="with --profile: also write the pstats file")
    args = ap.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ.setdefault("GARITA_VAR_DIR", str(ROOT / "var" / "bench_profile"))
    hl.setup_django()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from twilio.request_validator import RequestValidator

    settings.ALLOWED_HOSTS = ["*"]
    hl.load(args.cases)
    validator = RequestValidator(hl.TOKEN)
    host = "127.0.0.1"
    base = f"http://{host}"
    from garita.core.handlers import GaritaWSGIApplication

    handler = GaritaWSGIApplication()  # what gunicorn serves: two middleware stacks

    def call(method: str, path: str, body: bytes = b"", headers: dict | None = None
             ) -> tuple[str, bytes, list]:
        p, _, q = path.partition("?")
        env = {"REQUEST_METHOD": method, "PATH_INFO": p, "QUERY_STRING": q,
               "SERVER_NAME": host, "SERVER_PORT": "80", "HTTP_HOST": host,
               "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": FORM, **(headers or {})}
        started: list = []
        result = handler(env, lambda status, hdrs: started.extend([status, hdrs]))
        content = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return started[0], content, started[1]

    status0, html, hdrs = call("GET", "/status")
    cookie = next(v.strip().split(";", 1)[0] for k, v in hdrs
                  if k.lower() == "set-cookie" and v.strip().startswith("csrftoken="))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html.decode()).group(1)
    rng = random.Random(1)

    def empty() -> bytes:
        status, content, _h = call("GET", "/bench/empty")
        assert status.startswith("200")
        return content

    def empty_webhook() -> bytes:
        status, content, _h = call("GET", "/hotline/bench/empty")
        assert status.startswith("200")
        return content

    def status() -> bytes:
        i = rng.randrange(args.cases)
        body = urlencode({"csrfmiddlewaretoken": csrf, "a_number": hl.a_number(i),
                          "pin": hl.pin(i)}).encode()
        code, content, _h = call("POST", "/status", body, {"HTTP_COOKIE": cookie})
        assert code.startswith("200") and b"A***" in content, content[:2000]
        return content

    def voice() -> bytes:
        i = rng.randrange(args.cases)
        path = "/hotline/voice/pin?" + urlencode({"lang": "es", "a": hl.a_number(i), "tries": 0})
        params = {"Digits": hl.pin(i), "From": hl.CALLER}
        sig = validator.compute_signature(base + path, params)
        code, content, _h = call("POST", path, urlencode(params).encode(),
                                 {"HTTP_X_TWILIO_SIGNATURE": sig})
        assert code.startswith("200") and b"audiencia" in content, content[:2000]
        return content

    def floor() -> bytes:  # hotline_bench_urls.floor: the least a look-up must do
        i = rng.randrange(args.cases)
        path = "/hotline/bench/floor?" + urlencode({"a": hl.a_number(i)})
        code, content, _h = call("POST", path, urlencode({"Digits": hl.pin(i)}).encode())
        assert code.startswith("200") and content == b"found", content[:200]
        return content

    kinds = {"empty": empty, "empty_webhook": empty_webhook, "status": status, "ivr": voice,
             "floor": floor}
    if args.profile:
        fn = kinds[args.profile]
        for _ in range(50):
            fn()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.requests):
            fn()
        prof.disable()
        if args.save:
            prof.dump_stats(args.save)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return

    db = connection.settings_dict["ENGINE"].rsplit(".", 1)[-1]
    print(f"{db}, {args.cases:,} cases, {args.requests} requests each, one at a time")
    print(f"{'endpoint':<26}{'ms CPU':>8}{'ms wall':>9}{'queries':>9}{'bytes':>8}")
    for name, fn in kinds.items():
        for _ in range(30):  # warm caches and connections
            fn()
        with CaptureQueriesContext(connection) as ctx:
            fn()
        nq = len(ctx.captured_queries)
        reset_queries()
        size = 0
        c0, w0 = cpu(), time.perf_counter()
        for _ in range(args.requests):
            size = len(fn())
        c1, w1 = cpu(), time.perf_counter()
        print(f"{name:<26}{(c1 - c0) * 1000 / args.requests:>8.2f}"
              f"{(w1 - w0) * 1000 / args.requests:>9.2f}{nq:>9}{size:>8}")
    if os.environ.get("HOTLINE_PROFILE_SQL"):
        with CaptureQueriesContext(connection) as ctx:
            status()
            voice()
        for q in ctx.captured_queries:
            print(q["sql"][:300])


if __name__ == "__main__":
    main()
