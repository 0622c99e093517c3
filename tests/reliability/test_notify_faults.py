"""Faults in sending: an SMS provider that fails 30% of sends, in process.

Every message is delivered in the end and none twice: the outbox retries with backoff
until the provider takes it, and a sent row is never claimed again.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter

import pytest
from django.utils import timezone

from garita.notifications import dispatch
from garita.notifications.models import Notification, NotificationStatus
from garita.notifications.providers import ProviderError
from garita.notifications.services import HEARING_SCHEDULED, CaseEvent, notify_bulk
from tests.factories import make_case

pytestmark = pytest.mark.db_backend

TIJUANA = zoneinfo.ZoneInfo("America/Tijuana")


class FlakyProvider:
    """Refuses a fixed share of sends with a retry-able error (an SMS gateway's 503)."""

    def __init__(self, failure_rate: float, seed: int) -> None:
        self.failure_rate = failure_rate
        self.rng = random.Random(seed)
        self.accepted: Counter[int] = Counter()
        self.refused = 0

    def send(self, msg) -> str:  # type: ignore[no-untyped-def]
        if self.rng.random() < self.failure_rate:
            self.refused += 1
            raise ProviderError("gateway busy", retryable=True, code="503")
        self.accepted[msg.notification_id] += 1
        return f"SM{msg.notification_id}"

    def was_sent(self, msg) -> bool:  # type: ignore[no-untyped-def]
        return msg.notification_id in self.accepted


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [7, 2019])
def test_a_provider_failing_30_percent_of_sends_delivers_every_message_once(settings,
                                                                            monkeypatch, seed):
    settings.GARITA_NOTIFY_BACKOFF_SECONDS = 60
    flaky = FlakyProvider(0.3, seed)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: flaky)
    cases = [make_case() for _ in range(40)]
    notify_bulk([CaseEvent(c.pk, HEARING_SCHEDULED, None, "v1") for c in cases])
    queued = set(Notification.objects.values_list("pk", flat=True))
    assert len(queued) >= len(cases)

    # Office hours (no quiet-hours deferral); each pass runs once the backoff has passed.
    t = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10),
                            tzinfo=TIJUANA).astimezone(dt.UTC)
    for _ in range(48):  # the longest backoff before the last attempt is well under an hour
        dispatch.send_due(now=t, limit=1000)
        if not Notification.objects.filter(status=NotificationStatus.QUEUED).exists():
            break
        t += dt.timedelta(hours=1)

    assert flaky.refused > 0, "the provider never failed: the test proves nothing"
    rows = Notification.objects.in_bulk(queued)
    assert {n.status for n in rows.values()} == {NotificationStatus.SENT}
    assert set(flaky.accepted) == queued, "a message was lost"
    assert max(flaky.accepted.values()) == 1, "a message was sent twice"
    assert sum(n.attempts for n in rows.values()) == len(queued) + flaky.refused


# --- the reply lost after the provider accepted (timeout after accept) ----------------------


class ReplyLostProvider:
    """Accepts every message, but the answer to the first hand-over of each is lost: the
    worker sees a timeout although the message left. `knows` says whether it can answer a
    reconcile query; `idempotent` whether it honours the idempotency key."""

    def __init__(self, *, idempotent: bool, knows: bool, accept_first: bool = True) -> None:
        self.idempotent = idempotent
        self.knows = knows
        self.accept_first = accept_first
        self.delivered: Counter[str] = Counter()  # idempotency key -> deliveries
        self.handovers: Counter[str] = Counter()
        self.keys_seen: list[str] = []

    def send(self, msg) -> str:  # type: ignore[no-untyped-def]
        key = msg.idempotency_key
        self.keys_seen.append(key)
        self.handovers[key] += 1
        first = self.handovers[key] == 1
        if not (self.idempotent and self.delivered[key]) and (self.accept_first or not first):
            self.delivered[key] += 1
        if first:
            raise ProviderError("read timed out", retryable=True, outcome_unknown=True)
        return f"SM-{key[-8:]}"

    def was_sent(self, msg) -> bool | None:  # type: ignore[no-untyped-def]
        return self.delivered[msg.idempotency_key] > 0 if self.knows else None


def _run_until_settled(provider, n_cases: int = 5):  # type: ignore[no-untyped-def]
    cases = [make_case() for _ in range(n_cases)]
    notify_bulk([CaseEvent(c.pk, HEARING_SCHEDULED, None, "v1") for c in cases])
    t = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10),
                            tzinfo=TIJUANA).astimezone(dt.UTC)
    for _ in range(6):
        dispatch.recover_expired(t)
        dispatch.send_due(now=t, limit=1000)
        t += dt.timedelta(hours=1)
    return list(Notification.objects.all())


@pytest.fixture
def reply_lost(settings, monkeypatch):  # type: ignore[no-untyped-def]
    settings.GARITA_NOTIFY_BACKOFF_SECONDS = 60

    def use(provider):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
        return provider

    return use


@pytest.mark.django_db
def test_a_lost_reply_is_reconciled_not_resent(reply_lost):
    """Twilio-like (no idempotency key) but searchable: the retry asks first, finds the
    message, marks it SENT and hands nothing over again."""
    provider = reply_lost(ReplyLostProvider(idempotent=False, knows=True))
    rows = _run_until_settled(provider)
    assert rows and {n.status for n in rows} == {NotificationStatus.SENT}
    assert set(provider.delivered.values()) == {1}, "a message was sent twice"
    assert set(provider.handovers.values()) == {1}, "a sent message was handed over again"


@pytest.mark.django_db
def test_a_timeout_before_accept_is_sent_exactly_once_after_reconcile(reply_lost):
    provider = reply_lost(ReplyLostProvider(idempotent=False, knows=True, accept_first=False))
    rows = _run_until_settled(provider)
    assert {n.status for n in rows} == {NotificationStatus.SENT}
    assert set(provider.delivered.values()) == {1}, "a message was lost or sent twice"
    assert set(provider.handovers.values()) == {2}


@pytest.mark.django_db
def test_an_idempotent_provider_gets_the_same_key_again_and_delivers_once(reply_lost):
    provider = reply_lost(ReplyLostProvider(idempotent=True, knows=False))
    rows = _run_until_settled(provider)
    assert {n.status for n in rows} == {NotificationStatus.SENT}
    assert set(provider.delivered.values()) == {1}
    assert set(provider.handovers.values()) == {2}  # resent under the same key
    assert set(provider.keys_seen) == {n.idempotency_key for n in rows}


@pytest.mark.django_db
def test_a_provider_that_can_neither_dedupe_nor_tell_is_unconfirmed_never_resent(reply_lost):
    """The residual risk, made visible: Twilio when its message search fails."""
    provider = reply_lost(ReplyLostProvider(idempotent=False, knows=False))
    rows = _run_until_settled(provider)
    assert {n.status for n in rows} == {NotificationStatus.UNCONFIRMED}
    assert set(provider.handovers.values()) == {1}
    assert all("outcome unknown" in n.last_error or "worker stopped" in n.last_error
               for n in rows)


@pytest.mark.django_db
def test_a_lost_reply_is_not_reconciled_before_the_backoff(reply_lost, settings):
    """The provider gets time to finish what it accepted before it is asked."""
    reply_lost(ReplyLostProvider(idempotent=False, knows=True))
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    t = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10),
                            tzinfo=TIJUANA).astimezone(dt.UTC)
    assert dispatch.send_due(now=t)["unknown"] >= 1
    assert dispatch.recover_expired(t + dt.timedelta(seconds=30)) == Counter()
    n = Notification.objects.filter(status=NotificationStatus.SENDING).first()
    assert n is not None and n.claimed_by == ""
    assert dispatch.recover_expired(t + dt.timedelta(seconds=61))["recovered_sent"] >= 1


# --- the file provider's journal (what the kill drills compare with the outbox) -------------


def _msg(nid: int, key: str):  # type: ignore[no-untyped-def]
    from garita.notifications.providers import OutgoingMessage

    return OutgoingMessage(notification_id=nid, channel="sms", to="+526641234567",
                           language="es", subject="", text="Garita: prueba",
                           idempotency_key=key)


def test_the_file_provider_delivers_a_key_once_and_journals_every_handover(tmp_path):
    from garita.notifications.providers import FileProvider

    p = FileProvider(tmp_path, idempotent=True, latency_ms=0)
    assert p.was_sent(_msg(1, "k1")) is False
    p.send(_msg(1, "k1"))
    p.send(_msg(1, "k1"))
    p.send(_msg(2, "k2"))
    journal = [(d["key"], d["result"]) for d in p.deliveries()]
    assert journal == [("k1", "delivered"), ("k1", "replayed"), ("k2", "delivered")]
    assert p.was_sent(_msg(1, "k1")) is True
    # another process (a fresh provider over the same journal) sees the same
    assert FileProvider(tmp_path).was_sent(_msg(2, "k2")) is True
    assert FileProvider(tmp_path).was_sent(_msg(3, "k3")) is False


def test_the_non_idempotent_file_provider_shows_a_duplicate(tmp_path):
    """Like Twilio: every hand-over delivers, so the journal catches a double send."""
    from garita.notifications.providers import FileProvider

    p = FileProvider(tmp_path, idempotent=False, latency_ms=0)
    p.send(_msg(1, "k1"))
    p.send(_msg(1, "k1"))
    assert [d["result"] for d in p.deliveries()] == ["delivered", "delivered"]


# --- Twilio: which transport errors may hide an accepted message ----------------------------


def _serve_once(behaviour: str) -> int:
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def run() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)  # the request arrived: the provider "accepted" it
        if behaviour == "hang":
            conn.settimeout(5)
            try:
                conn.recv(1)
            except OSError:
                pass
        conn.close()
        srv.close()

    threading.Thread(target=run, daemon=True).start()
    return int(srv.getsockname()[1])


@pytest.mark.parametrize("behaviour", ["hang", "drop"])
def test_a_reply_lost_after_the_request_left_is_outcome_unknown(behaviour):
    import requests

    from garita.notifications.providers import maybe_accepted

    port = _serve_once(behaviour)
    with pytest.raises(requests.RequestException) as err:
        requests.post(f"http://127.0.0.1:{port}/Messages.json", data={"Body": "x"},
                      timeout=(2, 0.3), proxies={"http": "", "https": ""})
    assert maybe_accepted(err.value) is True


def test_a_refused_connection_is_known_not_sent():
    import socket

    import requests

    from garita.notifications.providers import maybe_accepted

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        with pytest.raises(requests.RequestException) as err:
            requests.post(f"http://127.0.0.1:{port}/", timeout=2,
                          proxies={"http": "", "https": ""})
    assert maybe_accepted(err.value) is False


@pytest.mark.django_db
def test_twilio_read_timeout_is_never_resent_blindly(monkeypatch, settings):
    """Twilio has no idempotency key: a read timeout leaves the message SENDING until the
    search finds it (SENT) or cannot tell (UNCONFIRMED); it is never created twice."""
    import requests

    from garita.notifications import providers

    settings.GARITA_NOTIFY_PROVIDER = "twilio"
    settings.GARITA_NOTIFY_BACKOFF_SECONDS = 60
    settings.TWILIO_FROM_NUMBER = "+16195550100"
    created: list[dict] = []

    class Messages:
        def create(self, **kw):  # type: ignore[no-untyped-def]
            created.append(kw)
            raise requests.exceptions.ReadTimeout("read timed out")  # accepted, reply lost

        def list(self, to, limit):  # type: ignore[no-untyped-def]
            return [type("M", (), {"body": kw["body"], "sid": "SM1"})() for kw in created
                    if kw["to"] == to]

    class Client:
        messages = Messages()

    monkeypatch.setattr(providers, "twilio_client", lambda: Client())
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    t = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10),
                            tzinfo=TIJUANA).astimezone(dt.UTC)
    assert dispatch.send_due(now=t)["unknown"] == 1
    later = t + dt.timedelta(minutes=5)
    assert dispatch.recover_expired(later)["recovered_sent"] == 1
    dispatch.send_due(now=later)
    n = Notification.objects.get()
    assert n.status == NotificationStatus.SENT and len(created) == 1


# --- tasks a killed worker left RUNNING ------------------------------------------------------


@pytest.mark.django_db
def test_a_resumable_task_left_running_by_a_dead_worker_is_queued_again(settings):
    from django_tasks_db.models import DBTaskResult

    from garita.hearings.tasks import notify_events
    from garita.notifications.tasks import requeue_orphaned_tasks

    settings.GARITA_TASK_ORPHAN_SECONDS = 600
    case = make_case()
    orphan = DBTaskResult.objects.get(id=notify_events.enqueue(
        [[case.pk, HEARING_SCHEDULED, None, "v1"]]).id)
    orphan.claim("killed-worker")
    young = DBTaskResult.objects.get(id=notify_events.enqueue(
        [[case.pk, HEARING_SCHEDULED, None, "v2"]]).id)
    young.claim("live-worker")
    now = timezone.now()
    DBTaskResult.objects.filter(pk=orphan.pk).update(started_at=now - dt.timedelta(hours=1))

    assert requeue_orphaned_tasks(now=now) == 1
    orphan.refresh_from_db()
    young.refresh_from_db()
    assert orphan.status == "READY" and young.status == "RUNNING"
    # Run twice (the dead worker may have queued part of it): nothing queued twice.
    from garita.audit.selectors import verify_chain

    first = notify_events.call([[case.pk, HEARING_SCHEDULED, None, "v1"]])
    again = notify_events.call([[case.pk, HEARING_SCHEDULED, None, "v1"]])
    assert first > 0 and again == 0
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_task_of_a_dead_process_on_this_host_is_requeued_at_once_a_live_ones_never(
        settings):
    import os
    import socket
    import subprocess
    import sys

    from django_tasks_db.models import DBTaskResult

    from garita.hearings.tasks import notify_events
    from garita.notifications.tasks import requeue_orphaned_tasks, worker_identity

    settings.GARITA_TASK_ORPHAN_SECONDS = 3600
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    host = socket.gethostname()[:40]
    case = make_case()
    dead = DBTaskResult.objects.get(id=notify_events.enqueue(
        [[case.pk, HEARING_SCHEDULED, None, "v1"]]).id)
    dead.claim(f"{host}:{gone.stdout.strip()}:deadbeef")  # that process has exited
    alive = DBTaskResult.objects.get(id=notify_events.enqueue(
        [[case.pk, HEARING_SCHEDULED, None, "v2"]]).id)
    alive.claim(worker_identity())  # this very process: alive, and running it for hours
    DBTaskResult.objects.filter(pk=alive.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=5))
    assert str(os.getpid()) in alive.worker_ids[-1]

    assert requeue_orphaned_tasks() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "READY" and alive.status == "RUNNING"


@pytest.mark.django_db
def test_a_failure_to_mark_after_the_provider_accepted_does_not_resend(settings, monkeypatch):
    """The database blinks between the hand-over and `SENT`: the row is reconciled later,
    not queued again (which would deliver it twice)."""
    from django.db import OperationalError

    settings.GARITA_NOTIFY_BACKOFF_SECONDS = 60

    class Accepting(ReplyLostProvider):
        """Every hand-over is accepted and answered."""

        def send(self, msg):  # type: ignore[no-untyped-def]
            self.delivered[msg.idempotency_key] += 1
            self.handovers[msg.idempotency_key] += 1
            return "SM1"

    provider = Accepting(idempotent=False, knows=True)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    real_finish = dispatch._finish

    def finish(n, me, **fields):  # type: ignore[no-untyped-def]
        if fields.get("status") == NotificationStatus.SENT:
            raise OperationalError("server closed the connection unexpectedly")
        return real_finish(n, me, **fields)

    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    t = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10),
                            tzinfo=TIJUANA).astimezone(dt.UTC)
    monkeypatch.setattr(dispatch, "_finish", finish)
    assert dispatch.send_due(now=t)["error"] >= 1
    monkeypatch.setattr(dispatch, "_finish", real_finish)
    later = t + dt.timedelta(hours=1)
    for _ in range(3):
        dispatch.recover_expired(later)
        dispatch.send_due(now=later)
        later += dt.timedelta(hours=1)
    rows = list(Notification.objects.all())
    assert {n.status for n in rows} == {NotificationStatus.SENT}
    assert set(provider.delivered.values()) == {1}, "delivered twice"
