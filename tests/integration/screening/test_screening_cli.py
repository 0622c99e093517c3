"""`garita screen --json FILE|-`: one profile in, one decision out as JSON, nothing saved."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from garita.screening.models import RuleSet, ScreeningDecision

pytestmark = pytest.mark.django_db

PROFILE = {
    "port": "san-ysidro", "encounter_date": "2019-07-01", "date_of_birth": "1990-05-17",
    "nationality": "GTM", "family_type": "single_adult",
    "processed_for_expedited_removal": False, "returning_lpr": False, "parole": False,
    "known_health_issue": False, "criminal_history": True, "government_interest": False,
    "pregnant": True, "fear_of_return": "none", "fear_interview_outcome": None,
    "port_director_exclusion": None,
}


def run(path: str, stdin: str | None = None) -> dict:
    out = io.StringIO()
    if stdin is not None:
        sys_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        call_command("screen", "--json", path, stdout=out)
    finally:
        if stdin is not None:
            sys.stdin = sys_stdin
    return json.loads(out.getvalue())


def test_a_profile_file_prints_the_outcome_and_every_reason(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROFILE), encoding="utf-8")
    result = run(str(path))
    assert result["outcome"] == "not_amenable"
    assert [r["code"] for r in result["reasons"]] == ["CRIMINAL_HISTORY", "PREGNANCY"]
    assert all(r["message"] for r in result["reasons"])
    assert result["rule_set"] == "v1"
    assert not ScreeningDecision.objects.exists() and not RuleSet.objects.exists()


def test_standard_input_is_read_with_a_dash():
    result = run("-", stdin=json.dumps({**PROFILE, "criminal_history": False,
                                        "pregnant": False, "fear_of_return": "volunteered"}))
    assert result == {"outcome": "pending_fear_interview", "reasons": [], "rule_set": "v1"}


@pytest.mark.parametrize(
    ("data", "key"),
    [({k: v for k, v in PROFILE.items() if k != "nationality"}, "nationality"),
     ({**PROFILE, "parole": "no"}, "parole"),
     ({**PROFILE, "encounter_date": "01/07/2019"}, "encounter_date")],
)
def test_a_missing_or_malformed_key_is_named_with_exit_status_2(tmp_path, data, key):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("screen", "--json", str(path), stdout=io.StringIO())
    assert exc.value.returncode == 2
    assert str(exc.value).startswith(f"{key}:")


def test_the_garita_command_exits_2_and_names_the_key_in_a_subprocess(tmp_path):
    bad = {**PROFILE, "family_type": "couple"}
    proc = subprocess.run(
        [sys.executable, "-m", "garita.cli", "screen", "--json", "-"],
        input=json.dumps(bad), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "family_type" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "garita.cli", "screen", "--json", "-"],
        input="{not json", capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
