"""Mixed workload for Garita under load: the public, the phones and the staff at once.

Public status look-ups, IVR steps and SMS (correctly Twilio-signed), the waitlist board,
staff intake pages and API calls. Run through bench/load/run_load.sh (loopback only).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

LOOKUPS_FILE = Path(os.environ.get("GARITA_LOAD_LOOKUPS", "var/load/sample_lookups.json"))
AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
API_TOKEN = os.environ.get("GARITA_LOAD_API_TOKEN", "")
STAFF_USER = os.environ.get("GARITA_LOAD_STAFF_USER", "")
STAFF_PASSWORD = os.environ.get("GARITA_LOAD_STAFF_PASSWORD", "")
PORT_SLUG = os.environ.get("GARITA_LOAD_PORT", "san-ysidro")


def _lookups() -> list[dict[str, str]]:
    try:
        rows = json.loads(LOOKUPS_FILE.read_text())
    except (OSError, ValueError):
        rows = []
    return rows or [{"a_number": "A200000001", "pin": "123456", "language": "es"}]


LOOKUPS = _lookups()
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACTION = re.compile(r'action="([^"]+)"')
SERVER_FAILURE = re.compile(r"\b5\d\d Server Error|Connection|Timeout|RemoteDisconnected|"
                            r"unexpected status", re.I)


def _signature(url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it (the exact URL, query included, plus the
    POST parameters), so signature checks stay on under load."""
    from twilio.request_validator import RequestValidator

    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


class _Base(HttpUser):
    abstract = True

    def call(self, method: str, path: str, name: str, ok: tuple[int, ...] = (200,),
             **kw: Any) -> Any:
        """One request; any status outside `ok` counts as a failure of the run."""
        with self.client.request(method, path, name=name, catch_response=True,
                                 allow_redirects=False, **kw) as res:
            if res.status_code not in ok:
                res.failure(f"unexpected status {res.status_code}")
            else:
                res.success()
            return res

    def twilio_post(self, path: str, params: dict[str, str], name: str) -> Any:
        headers = {}
        if AUTH_TOKEN:
            headers["X-Twilio-Signature"] = _signature(self.host.rstrip("/") + path, params)
        return self.call("POST", path, name, data=params, headers=headers)


class PublicUser(_Base):
    """A person on a phone or a borrowed browser: status, hotline, SMS, the board."""

    weight = 8
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.me = random.choice(LOOKUPS)
        self.call_sid = "CA" + "".join(random.choices("0123456789abcdef", k=32))
        self.phone = "+52664" + "".join(random.choices("0123456789", k=7))

    @task(4)
    def status_lookup(self) -> None:
        # The web form is CSRF-protected like every form: fetch it first, as a browser does.
        page = self.call("GET", "/status", "GET /status")
        match = CSRF_FIELD.search(page.text or "")
        data = {"a_number": self.me["a_number"], "pin": self.me["pin"]}
        if match:
            data["csrfmiddlewaretoken"] = match.group(1)
        # 200 found / not found; 429 when the per-IP throttle (one loopback IP) engages.
        self.call("POST", "/status", "POST /status", ok=(200, 400, 429), data=data,
                  headers={"Referer": self.host.rstrip("/") + "/status"})

    @task(3)
    def ivr_call(self) -> None:
        """A whole call: menu, language, A-number, PIN, following each <Gather action>."""
        base = {"CallSid": self.call_sid, "From": self.phone, "To": "+16195550100",
                "AccountSid": "AC" + "0" * 32, "CallStatus": "in-progress"}
        res = self.twilio_post("/hotline/voice", base, "POST /hotline/voice")
        steps = [("2", "POST /hotline/voice/language"),
                 (self.me["a_number"][1:] + "#", "POST /hotline/voice/anumber"),
                 (self.me["pin"] + "#", "POST /hotline/voice/pin")]
        for digits, name in steps:
            match = ACTION.search(res.text or "")
            if not match:
                return
            path = html.unescape(match.group(1))
            res = self.twilio_post(path, {**base, "Digits": digits}, name)

    @task(2)
    def sms(self) -> None:
        body = random.choice([f"ESTADO {self.me['a_number']} {self.me['pin']}", "AYUDA",
                              f"STATUS {self.me['a_number']} {self.me['pin']}"])
        self.twilio_post("/hotline/sms", {"From": self.phone, "To": "+16195550100",
                                          "Body": body, "MessageSid": "SM" + "1" * 32,
                                          "AccountSid": "AC" + "0" * 32}, "POST /hotline/sms")

    @task(3)
    def waitlist_board(self) -> None:
        self.call("GET", f"/waitlist/{PORT_SLUG}/", "GET /waitlist/<port>/")

    @task(1)
    def waitlist_board_api(self) -> None:
        self.call("GET", f"/api/v1/waitlist/{PORT_SLUG}/board", "GET /api/v1/waitlist/<port>/board")

    @task(1)
    def stats(self) -> None:
        self.call("GET", "/stats/", "GET /stats/")

    @task(1)
    def health(self) -> None:
        self.call("GET", "/api/v1/health", "GET /api/v1/health")


class StaffUser(_Base):
    """An officer at the desk: intake pages, the API, the waitlist desk, calling numbers."""

    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {API_TOKEN}"} if API_TOKEN else {}
        if STAFF_USER:
            page = self.call("GET", "/accounts/login/", "GET /accounts/login/")
            match = CSRF_FIELD.search(page.text or "")
            self.call("POST", "/accounts/login/", "POST /accounts/login/", ok=(302,), data={
                "username": STAFF_USER, "password": STAFF_PASSWORD,
                "csrfmiddlewaretoken": match.group(1) if match else ""},
                headers={"Referer": self.host.rstrip("/") + "/accounts/login/"})

    @task(3)
    def intake_desk(self) -> None:
        self.call("GET", "/intake/", "GET /intake/")

    @task(2)
    def case_page(self) -> None:
        a_number = random.choice(LOOKUPS)["a_number"]
        self.call("GET", f"/intake/cases/{a_number}/", "GET /intake/cases/<a_number>/")

    @task(3)
    def api_cases(self) -> None:
        a_number = random.choice(LOOKUPS)["a_number"]
        self.call("GET", f"/api/v1/intake/cases/{a_number}", "GET /api/v1/intake/cases/<a_number>",
                  headers=self.headers)

    @task(1)
    def waitlist_desk(self) -> None:
        self.call("GET", f"/waitlist/staff/{PORT_SLUG}/", "GET /waitlist/staff/<port>/")

    @task(1)
    def waitlist_call(self) -> None:
        # 409 when the waitlist is closed: a normal answer. This user also holds a session
        # cookie, and a session-authenticated POST needs the CSRF token like a browser's.
        headers = {**self.headers, "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
                   "Referer": self.host.rstrip("/") + "/waitlist/"}
        self.call("POST", f"/api/v1/waitlist/{PORT_SLUG}/call", "POST /api/v1/waitlist/<port>/call",
                  ok=(200, 409), headers=headers, json={"capacity": 1})


@events.quitting.add_listener
def _exit_code(environment, **_kw) -> None:  # type: ignore[no-untyped-def]
    if environment.runner is None:
        return
    failures = sum(e.occurrences for e in environment.runner.stats.errors.values()
                   if SERVER_FAILURE.search(str(e.error)))
    environment.process_exit_code = 1 if failures else 0
