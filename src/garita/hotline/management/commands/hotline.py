"""`garita hotline call|sms`: try the phone line and the SMS line from a terminal.

`call` walks the real IVR webhooks with requests signed like Twilio's (in process, or
against a running server with --url), prints what the caller would hear and sends the keys
typed or given with --keys (e.g. --keys 2,234567890,123456; an empty key is silence).
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from twilio.request_validator import RequestValidator


class Command(BaseCommand):
    help = "Simulate a phone call or an SMS to the hotline."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        call = sub.add_parser("call", help="Walk the phone menu.")
        call.add_argument("--keys", default=None,
                          help="Comma-separated key presses, e.g. 2,234567890,123456,1")
        call.add_argument("--from", dest="caller", default="+526640000000")
        call.add_argument("--url", default="",
                          help="Base URL of a running Garita (default: in process).")
        sms = sub.add_parser("sms", help="Send one SMS to the hotline.")
        sms.add_argument("body")
        sms.add_argument("--from", dest="caller", default="+526640000000")
        sms.add_argument("--url", default="")

    def handle(self, *args: object, **opts: object) -> None:
        token = settings.TWILIO_AUTH_TOKEN
        url = str(opts.get("url") or "").rstrip("/")
        if url and not token:
            raise CommandError("Set TWILIO_AUTH_TOKEN to the server's token to sign requests.")
        # In process, a throwaway token signs and checks the requests of this run only.
        token = token or secrets.token_hex(16)
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(TWILIO_AUTH_TOKEN=token, ALLOWED_HOSTS=hosts,
                               GARITA_PUBLIC_BASE_URL=""):
            poster = _Poster(token, url)
            if opts["action"] == "sms":
                root = poster.post("/hotline/sms", {"Body": str(opts["body"]),
                                                    "From": str(opts["caller"])})
                for m in root.iter("Message"):
                    self.stdout.write(f"SMS reply: {m.text}")
                return
            self._call(poster, str(opts["caller"]), opts.get("keys"))  # type: ignore[arg-type]

    def _call(self, poster: _Poster, caller: str, keys: str | None) -> None:
        presses: Iterator[str] | None = iter(keys.split(",")) if keys is not None else None
        path, params = "/hotline/voice", {"From": caller, "CallSid": "CA" + secrets.token_hex(16)}
        for _step in range(40):
            root = poster.post(path, params)
            nodes = list(root)
            gather_at = next((i for i, n in enumerate(nodes) if n.tag == "Gather"), None)
            before = nodes if gather_at is None else nodes[:gather_at]
            after = [] if gather_at is None else nodes[gather_at + 1:]
            outcome = self._run(before)
            if outcome == "hangup":
                return
            if gather_at is None:
                if outcome is None:
                    self.stdout.write("[the call ends]")
                    return
                path, params = outcome, {"From": caller}
                continue
            gather = nodes[gather_at]
            self._run(list(gather))
            if presses is not None:
                digits = next(presses, None)
                if digits is None:
                    self.stdout.write("[no more keys: hanging up]")
                    return
                self.stdout.write(f"> keys: {digits or '(silence)'}")
            else:
                try:
                    digits = input("keys> ").strip()
                except EOFError:
                    return
            if digits:
                path, params = gather.get("action") or path, {"Digits": digits, "From": caller}
                continue
            outcome = self._run(after)  # silence: Twilio goes on after the <Gather>
            if outcome in (None, "hangup"):
                self.stdout.write("" if outcome else "[the call ends]")
                return
            path, params = outcome, {"From": caller}
        self.stdout.write("[stopped after 40 steps]")

    def _run(self, nodes: list[ET.Element]) -> str | None:
        """Speak the nodes; returns a Redirect target, "hangup", or None."""
        for node in nodes:
            if node.tag == "Hangup":
                self.stdout.write("[the call ends]")
                return "hangup"
            if node.tag == "Redirect":
                return node.text or None
            self._speak(node)
        return None

    def _speak(self, node: ET.Element) -> None:
        if node.tag == "Say":
            self.stdout.write(f"({node.get('language')}) {node.text}")
        elif node.tag == "Play":
            self.stdout.write(f"[recording] {node.text}")


class _Poster:
    def __init__(self, token: str, base: str) -> None:
        self.validator = RequestValidator(token)
        self.base = base

    def post(self, path: str, params: dict[str, str]) -> ET.Element:
        full = (self.base or "http://testserver") + path
        signature = self.validator.compute_signature(full, params)
        if not self.base:
            from django.test import Client

            resp = Client().post(path, urllib.parse.urlencode(params),
                                 content_type="application/x-www-form-urlencoded",
                                 HTTP_X_TWILIO_SIGNATURE=signature)
            if resp.status_code != 200:
                raise CommandError(f"{path}: HTTP {resp.status_code}")
            return ET.fromstring(resp.content)
        req = urllib.request.Request(full, data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - operator's URL
                return ET.fromstring(r.read())
        except urllib.error.HTTPError as exc:
            raise CommandError(f"{path}: HTTP {exc.code}") from exc
