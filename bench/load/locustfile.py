"""Mixed workload for Garita under load: the public, the phones and the staff at once.

Public status look-ups, IVR steps and SMS (correctly Twilio-signed), the waitlist board,
staff intake pages and API calls. Run through bench/load/run_load.sh (loopback only).
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

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
# Only answers that mean "the server failed" fail the run: endpoints not built yet answer
# 404 (and their POSTs 403/405) until every app is merged.
SERVER_FAILURE = re.compile(r"\b5\d\d Server Error|Connection|Timeout|RemoteDisconnected", re.I)


def _signature(url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it, so signature checks stay on under load."""
    from twilio.request_validator import RequestValidator

    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


class _Base(HttpUser):
    abstract = True

    def twilio_post(self, path: str, params: dict[str, str], name: str) -> None:
        headers = {}
        if AUTH_TOKEN:
            headers["X-Twilio-Signature"] = _signature(self.host.rstrip("/") + path, params)
        self.client.post(path, data=params, headers=headers, name=name)


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
        page = self.client.get("/status", name="GET /status")
        match = CSRF_FIELD.search(page.text or "")
        data = {"a_number": self.me["a_number"], "pin": self.me["pin"]}
        if match:
            data["csrfmiddlewaretoken"] = match.group(1)
        self.client.post("/status", data=data, name="POST /status",
                         headers={"Referer": self.host.rstrip("/") + "/status"})

    @task(3)
    def ivr_step(self) -> None:
        base = {"CallSid": self.call_sid, "From": self.phone, "To": "+16195550100",
                "AccountSid": "AC" + "0" * 32, "CallStatus": "in-progress"}
        self.twilio_post("/hotline/voice", base, "POST /hotline/voice (start)")
        digits = self.me["a_number"][1:] + "#"
        self.twilio_post("/hotline/voice", {**base, "Digits": digits},
                         "POST /hotline/voice (digits)")

    @task(2)
    def sms(self) -> None:
        body = random.choice([f"ESTADO {self.me['a_number']} {self.me['pin']}", "AYUDA",
                              "STATUS", "LISTA"])
        self.twilio_post("/hotline/sms", {"From": self.phone, "To": "+16195550100",
                                          "Body": body, "MessageSid": "SM" + "1" * 32,
                                          "AccountSid": "AC" + "0" * 32}, "POST /hotline/sms")

    @task(3)
    def waitlist_board(self) -> None:
        self.client.get(f"/waitlist/{PORT_SLUG}/", name="GET /waitlist/<port>/")

    @task(1)
    def health(self) -> None:
        self.client.get("/api/v1/health", name="GET /api/v1/health")


class StaffUser(_Base):
    """An officer at the desk: intake pages, the API, calling the next numbers."""

    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {API_TOKEN}"} if API_TOKEN else {}
        if STAFF_USER:
            page = self.client.get("/accounts/login/", name="GET /accounts/login/")
            token = page.cookies.get("csrftoken") or self.client.cookies.get("csrftoken", "")
            self.client.post("/accounts/login/", data={
                "username": STAFF_USER, "password": STAFF_PASSWORD,
                "csrfmiddlewaretoken": token}, headers={"Referer": self.host},
                name="POST /accounts/login/")

    @task(3)
    def intake_desk(self) -> None:
        self.client.get("/intake/", name="GET /intake/")

    @task(3)
    def api_cases(self) -> None:
        a_number = random.choice(LOOKUPS)["a_number"]
        self.client.get(f"/api/v1/intake/cases/{a_number}", headers=self.headers,
                        name="GET /api/v1/intake/cases/<a_number>")

    @task(1)
    def api_openapi(self) -> None:
        self.client.get("/api/v1/openapi.json", name="GET /api/v1/openapi.json")

    @task(1)
    def waitlist_call(self) -> None:
        self.client.post(f"/api/v1/waitlist/{PORT_SLUG}/call", headers=self.headers,
                         json={"count": 1}, name="POST /api/v1/waitlist/<port>/call")


@events.quitting.add_listener
def _exit_code(environment, **_kw) -> None:  # type: ignore[no-untyped-def]
    if environment.runner is None:
        return
    failures = sum(e.occurrences for e in environment.runner.stats.errors.values()
                   if SERVER_FAILURE.search(str(e.error)))
    environment.process_exit_code = 1 if failures else 0
