"""Where messages leave Garita: a file backend (default, the demo) and Twilio; e-mail by Django.

A provider's `send` returns the provider's message id or raises ProviderError: retryable or
not, and `outcome_unknown` when the request may have been accepted (a reply lost to a
timeout). `was_sent` answers after a crash or a lost reply whether a message really left
(True/False) or that nobody can tell (None). A provider that is `idempotent` delivers a
message once per `idempotency_key` however often it is handed over, so Garita may resend
it when unsure; one that is not (Twilio) is reconciled before any resend.
Tests replace the Twilio client; nothing here runs in a request.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage


class ProviderError(Exception):
    def __init__(self, message: str, *, retryable: bool, code: str = "",
                 outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code
        # The request reached the provider but its answer did not reach us: the message
        # may have been accepted. Never resend blindly; reconcile first (dispatch does).
        self.outcome_unknown = outcome_unknown


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
    # The outbox row's unique key: the same message always carries the same key.
    idempotency_key: str = ""


class Provider(Protocol):
    idempotent: bool

    def send(self, msg: OutgoingMessage) -> str: ...

    def was_sent(self, msg: OutgoingMessage) -> bool | None: ...


def voice_twiml(text: str, voice_language: str) -> str:
    from twilio.twiml.voice_response import VoiceResponse

    r = VoiceResponse()
    r.say(text, language=voice_language)
    r.pause(length=1)
    r.say(text, language=voice_language)  # said twice: the first words are often missed
    return str(r)


_journal_index: dict[Path, tuple[int, set[str]]] = {}


class FileProvider:
    """Writes each message to GARITA_OUTBOX_DIR/<channel>/<id>.json and records every
    delivery as one line of GARITA_OUTBOX_DIR/sends.jsonl (the provider's own log, which the
    fault drills compare with the outbox).

    Idempotent like a provider API with idempotency keys: a message whose key was already
    delivered is not delivered again (the line says `replayed`), unless
    GARITA_FILE_PROVIDER_IDEMPOTENT=0 makes it behave like Twilio (every hand-over delivers).
    GARITA_FILE_PROVIDER_LATENCY_MS simulates a provider's round trip, half before the
    message is accepted and half for the reply, so that drills can kill a worker in either
    half.
    """

    JOURNAL = "sends.jsonl"

    def __init__(self, root: Path | None = None, *, idempotent: bool | None = None,
                 latency_ms: int | None = None) -> None:
        self.root = Path(root or settings.GARITA_OUTBOX_DIR)
        self.idempotent = (settings.GARITA_FILE_PROVIDER_IDEMPOTENT if idempotent is None
                           else idempotent)
        self.latency = (settings.GARITA_FILE_PROVIDER_LATENCY_MS if latency_ms is None
                        else latency_ms) / 1000

    def _path(self, msg: OutgoingMessage) -> Path:
        return self.root / msg.channel / f"{msg.notification_id}.json"

    def _key(self, msg: OutgoingMessage) -> str:
        return msg.idempotency_key or f"notification:{msg.notification_id}"

    def deliveries(self) -> list[dict[str, Any]]:
        """Every line of the journal, oldest first."""
        try:
            lines = (self.root / self.JOURNAL).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def _delivered(self, key: str) -> bool:
        """Whether the journal holds a delivery under this key (read incrementally: other
        processes append to the same file)."""
        path = self.root / self.JOURNAL
        offset, keys = _journal_index.get(path, (0, set()))
        try:
            with path.open("rb") as f:
                if os.fstat(f.fileno()).st_size < offset:  # a new journal at the same path
                    offset, keys = 0, set()
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            return False
        end = chunk.rfind(b"\n") + 1  # a line still being written is read next time
        for line in chunk[:end].splitlines():
            d = json.loads(line)
            if d["result"] == "delivered":
                keys.add(d["key"])
        _journal_index[path] = (offset + end, keys)
        return key in keys

    def _journal(self, msg: OutgoingMessage, result: str) -> None:
        line = json.dumps({"key": self._key(msg), "notification": msg.notification_id,
                           "channel": msg.channel, "result": result,
                           "at": time.time()}, ensure_ascii=False) + "\n"
        self.root.mkdir(parents=True, exist_ok=True)
        # One write() on an O_APPEND file: a killed process leaves the whole line or none.
        fd = os.open(self.root / self.JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def send(self, msg: OutgoingMessage) -> str:
        if self.latency:
            time.sleep(self.latency / 2)  # the request travelling to the provider
        if self.idempotent and self._delivered(self._key(msg)):
            self._journal(msg, "replayed")
        else:
            path = self._path(msg)
            path.parent.mkdir(parents=True, exist_ok=True)
            body: dict[str, Any] = asdict(msg)
            if msg.channel == "voice":
                body["twiml"] = voice_twiml(msg.text, msg.voice_language)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, path)
            self._journal(msg, "delivered")  # the moment the provider has accepted it
        if self.latency:
            time.sleep(self.latency / 2)  # the reply travelling back
        return f"file-{msg.notification_id}"

    def was_sent(self, msg: OutgoingMessage) -> bool | None:
        return self._delivered(self._key(msg))


class EmailProvider:
    """Django's e-mail backend (a file under var/outbox/email by default)."""

    idempotent = False

    def send(self, msg: OutgoingMessage) -> str:
        try:
            EmailMessage(subject=msg.subject, body=msg.text, to=[msg.to],
                         headers={"X-Garita-Notification": str(msg.notification_id)}).send()
        except OSError as exc:  # SMTP down, DNS: try again later
            raise ProviderError(str(exc), retryable=True) from exc
        return f"email-{msg.notification_id}"

    def was_sent(self, msg: OutgoingMessage) -> bool | None:
        return None


TWILIO_TIMEOUT_SECONDS = 15  # well inside the claim's lease (GARITA_NOTIFY_LEASE_SECONDS)


def twilio_client() -> Any:
    """The REST client (tests monkeypatch this function; no network in tests)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN,
                  http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS))


def maybe_accepted(exc: BaseException) -> bool:
    """Whether a transport error may have come after the provider accepted the request.

    Only a failure to connect proves that nothing was sent; a read timeout or a connection
    dropped mid-answer may hide an accepted message (the reply was lost)."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause: Any = exc
        for _depth in range(10):  # requests -> urllib3 MaxRetryError -> its reason
            if cause is None:
                break
            if type(cause).__name__ in {"NewConnectionError", "NameResolutionError",
                                        "ConnectionRefusedError", "ConnectTimeoutError"}:
                return False
            first = cause.args[0] if getattr(cause, "args", None) else None
            cause = (getattr(cause, "reason", None) or cause.__cause__ or cause.__context__
                     or (first if isinstance(first, BaseException) else None))
        return True
    from twilio.base.exceptions import TwilioException

    if isinstance(exc, TwilioException):
        return False  # raised by the client before any request (credentials, arguments)
    return True


class TwilioProvider:
    """Twilio's REST API. It has no idempotency key for messages or calls, so a message
    whose reply was lost is reconciled (`was_sent`) before it is ever handed over again."""

    idempotent = False

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
            raise ProviderError(str(exc), retryable=True,
                                outcome_unknown=maybe_accepted(exc)) from exc

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
