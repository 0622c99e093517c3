"""Helpers for hotline tests: signed Twilio requests, TwiML parsing, courts and hearings."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from garita.core.testing import GaritaClient as Client

TOKEN = "test-auth-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def _fresh_language_cache():
    from garita.hotline.selectors import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _twilio_settings(settings, tmp_path):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.GARITA_HOTLINE_VALIDATE_SIGNATURE = True
    settings.GARITA_PUBLIC_BASE_URL = ""
    settings.GARITA_OUTBOX_DIR = tmp_path / "outbox"
    settings.GARITA_NOTIFY_PROVIDER = "file"


class Twilio:
    """Posts to the hotline as Twilio would: form-encoded, with X-Twilio-Signature."""

    def __init__(self) -> None:
        self.client = Client()

    def post(self, path: str, params: dict[str, str] | None = None, *, sign: bool = True,
             token: str = TOKEN):
        params = dict(params or {})
        url = "http://testserver" + path
        headers = {}
        if sign:
            headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(token).compute_signature(
                url, params)
        return self.client.post(path, urlencode(params),
                                content_type="application/x-www-form-urlencoded", **headers)

    def twiml(self, path: str, params: dict[str, str] | None = None) -> ET.Element:
        resp = self.post(path, params)
        assert resp.status_code == 200, resp.content
        assert resp["Content-Type"].startswith("text/xml")
        return ET.fromstring(resp.content)


@pytest.fixture
def twilio():
    return Twilio()


def says(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter("Say")]


def spoken(root: ET.Element) -> str:
    return " ".join(says(root))


def gather(root: ET.Element) -> ET.Element | None:
    return root.find("Gather")


def next_action(root: ET.Element) -> str:
    g = gather(root)
    assert g is not None, ET.tostring(root)
    return g.get("action")


@pytest.fixture
def court(db):
    from garita.hearings.models import Court, HearingLocation

    c = Court.objects.create(
        slug="san-diego", name="San Diego Immigration Court", timezone="America/Los_Angeles",
        address="401 West A Street, Suite 800\nSan Diego, CA 92101",
        legal_service_providers=[
            {"name": "Jewish Family Service of San Diego", "phone": "+18586370661",
             "address": "8804 Balboa Ave, San Diego, CA"},
            {"name": "Al Otro Lado", "phone": "+16197867223", "address": "San Diego, CA"},
        ],
    )
    loc = HearingLocation.objects.create(
        court=c, name="San Diego Immigration Court, 8th floor",
        address="401 West A Street, Suite 800\nSan Diego, CA 92101",
        map_url="https://www.openstreetmap.org/?mlat=32.7197&mlon=-117.1650",
    )
    return c, loc


def make_hearing(case, court_loc, *, days: float = 20, report: bool = True, status="scheduled",
                 outcome=""):
    from garita.core.models import Port
    from garita.hearings.models import Hearing

    court, loc = court_loc
    starts = (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)
    port = Port.objects.get(slug="san-ysidro")
    return Hearing.objects.create(
        case=case, court=court, location=loc, calendar="master", starts_at=starts,
        report_port=port if report else None,
        report_at=starts - dt.timedelta(hours=4) if report else None,
        status=status, outcome=outcome, noticed_at=timezone.now(),
    )
