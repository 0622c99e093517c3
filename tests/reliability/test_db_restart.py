"""Faults, short form: a real PostgreSQL restart under requests.

A private cluster (initdb + pg_ctl in a temporary directory on a free port; the shared
server is never touched) is restarted with `-m fast` and with `-m immediate` (a crash and
recovery) while clients keep requesting Garita under gunicorn. Every answer is 200 or the
retry-able 503 (`Retry-After` + `service.unavailable`), none hangs, and the service is
answering 200 again without a restart of Garita. Skipped, visibly, without initdb.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.faults import restart_load
from bench.faults.harness import Stack, make_env
from bench.faults.pgcluster import PrivateCluster, unavailable_reason

pytestmark = pytest.mark.skipif(unavailable_reason() is not None,
                                reason=f"no private PostgreSQL cluster: {unavailable_reason()}")


@pytest.fixture(scope="module")
def cluster():
    with PrivateCluster() as c:
        c.create_database("garita_dbrestart")
        yield c


@pytest.fixture(scope="module")
def web(cluster, tmp_path_factory):
    var_dir: Path = tmp_path_factory.mktemp("var")
    stack = Stack(env=make_env(cluster.url("garita_dbrestart"), var_dir,
                               GARITA_DB_CONN_MAX_AGE="60"), var_dir=var_dir)
    migrated = stack.garita("migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    seeded = stack.garita("fault_drill", "waitlist-setup", "--port", "san-ysidro",
                          "--groups", "5")
    assert seeded.returncode == 0, seeded.stderr
    stack.start_web(workers=2)
    yield stack
    stack.stop_all()


def test_requests_fail_only_with_a_retryable_503_and_recover_by_themselves(cluster, web):
    report = restart_load.run(web, cluster, seconds=14, clients=4,
                              plan=[(4, "fast"), (9, "immediate")])
    summary = "\n".join(report.lines())
    assert report.clean, summary
    assert report.outcomes["503 retry-able"] > 0, (
        "no request met the restart: the test proved nothing\n" + summary)
    assert report.recovered, summary
    # The tail of the run is all 200s: Garita reconnected by itself, nobody restarted it.
    tail = [k for s, _e, _p, k in report.timeline if s > report.restarts[-1].ended + 1]
    assert tail and set(tail) == {"200"}, summary
    status, _, body = web.get("/api/v1/health")
    assert status == 200, body


def test_a_database_that_is_gone_for_seconds_answers_503_then_recovers(cluster, web):
    report = restart_load.run(web, cluster, seconds=8, clients=3, plan=[(2, "down:2")])
    summary = "\n".join(report.lines())
    assert report.clean and report.recovered, summary
    assert report.outcomes["503 retry-able"] >= 10, summary  # seconds of outage, not a blip
