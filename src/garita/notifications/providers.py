"""Where messages leave Garita: a file backend (default, the demo) and Twilio; e-mail by Django.

A provider's `send` returns the provider's message id or raises ProviderError (retryable or
not); `was_sent` answers after a worker crash whether a message really left (True/False) or
that nobody can tell (None). Tests replace the Twilio client; nothing here runs in a request.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage


class ProviderError(Exception):
    def __init__(self, message: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    channel: str
    to: str
    language: str
    subject: str
    text: str
    voice_language: str = "es-MX"
    status_callback: str = ""


class Provider(Protocol):
    def send(self, msg: OutgoingMessage) -> str: ...

    def was_sent(self, msg: OutgoingMessage) -> bool | None: ...


def voice_twiml(text: str, voice_language: str) -> str:
    from twilio.twiml.voice_response import VoiceResponse

    r = VoiceResponse()
    r.say(text, language=voice_language)
    r.pause(length=1)
    r.say(text, language=voice_language)  # said twice: the first words are often missed
    return str(r)


class FileProvider:
    """Writes each message to GARITA_OUTBOX_DIR/<channel>/<id>.json (atomic rename)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or settings.GARITA_OUTBOX_DIR)

    def _path(self, msg: OutgoingMessage) -> Path:
        return self.root / msg.channel / f"{msg.notification_id}.json"

    def send(self, msg: OutgoingMessage) -> str:
        path = self._path(msg)
        path.parent.mkdir(parents=True, exist_ok=True)
        body: dict[str, Any] = asdict(msg)
        if msg.channel == "voice":
            body["twiml"] = voice_twiml(msg.text, msg.voice_language)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return f"file-{msg.notification_id}"

    def was_sent(self, msg: OutgoingMessage) -> bool | None:
        return self._path(msg).exists()


class EmailProvider:
    """Django's e-mail backend (a file under var/outbox/email by default)."""

    def send(self, msg: OutgoingMessage) -> str:
        try:
            EmailMessage(subject=msg.subject, body=msg.text, to=[msg.to],
                         headers={"X-Garita-Notification": str(msg.notification_id)}).send()
        except OSError as exc:  # SMTP down, DNS: try again later
            raise ProviderError(str(exc), retryable=True) from exc
        return f"email-{msg.notification_id}"

    def was_sent(self, msg: OutgoingMessage) -> bool | None:
        return None


def twilio_client() -> Any:
    """The REST client (tests monkeypatch this function; no network in tests)."""
    from twilio.rest import Client

    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)


class TwilioProvider:
    def __init__(self) -> None:
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = twilio_client()
        return self._client

    def send(self, msg: OutgoingMessage) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        extra: dict[str, Any] = {}
        if msg.status_callback:
            extra["status_callback"] = msg.status_callback
        try:
            if msg.channel == "voice":
                call = self.client.calls.create(
                    to=msg.to, from_=settings.TWILIO_FROM_NUMBER,
                    twiml=voice_twiml(msg.text, msg.voice_language), **extra)
                return str(call.sid)
            if msg.channel == "whatsapp":
                m = self.client.messages.create(
                    to=f"whatsapp:{msg.to}", from_=f"whatsapp:{settings.TWILIO_WHATSAPP_FROM}",
                    body=msg.text, **extra)
                return str(m.sid)
            m = self.client.messages.create(to=msg.to, from_=settings.TWILIO_FROM_NUMBER,
                                            body=msg.text, **extra)
            return str(m.sid)
        except TwilioRestException as exc:
            # 429 and 5xx are Twilio's trouble: retry. Other 4xx (a bad number, a number
            # that sent STOP to Twilio: 21610) will fail the same way again.
            retryable = exc.status == 429 or exc.status >= 500
            raise ProviderError(str(exc.msg), retryable=retryable, code=str(exc.code)) from exc
        except (TwilioException, OSError) as exc:
            raise ProviderError(str(exc), retryable=True) from exc

    def was_sent(self, msg: OutgoingMessage) -> bool | None:
        if msg.channel == "voice":
            return None
        try:
            to = f"whatsapp:{msg.to}" if msg.channel == "whatsapp" else msg.to
            for m in self.client.messages.list(to=to, limit=20):
                if (m.body or "") == msg.text:
                    return True
        except Exception:  # noqa: BLE001 - unknown stays unknown
            return None
        return None


_email = EmailProvider()


def provider_for(channel: str) -> Provider:
    if channel == "email":
        return _email
    if settings.GARITA_NOTIFY_PROVIDER == "twilio":
        return TwilioProvider()
    return FileProvider()
