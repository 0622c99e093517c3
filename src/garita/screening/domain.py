"""MPP screening rules (CBP "MPP Guiding Principles", 28 Jan 2019) as pure functions.

`evaluate` returns EVERY reason that applies, never only the first; a person is amenable only
when no reason applies and no fear claim is open; unaccompanied children and Mexican nationals
are never amenable whatever the rule set says; a family is decided by a recorded policy.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from garita.core.errors import DomainError
from garita.screening.countries import ISO_ALPHA3, NORTHERN_TRIANGLE, SPANISH_SPEAKING


class Outcome(enum.StrEnum):
    AMENABLE = "amenable"
    NOT_AMENABLE = "not_amenable"
    PENDING_FEAR_INTERVIEW = "pending_fear_interview"


class FamilyType(enum.StrEnum):
    SINGLE_ADULT = "single_adult"
    FAMILY_UNIT = "family_unit"
    UNACCOMPANIED_CHILD = "unaccompanied_child"


class FearOfReturn(enum.StrEnum):
    NONE = "none"
    VOLUNTEERED = "volunteered"
    ASKED = "asked"


class FearOutcome(enum.StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    # The interview did not go ahead (claim withdrawn, person absent). The claim is no
    # longer open, so the person is treated as amenable; they may raise a new claim at any
    # time and it is again open (and blocks a return) until decided.
    CLOSED = "closed"


class FamilyPolicy(enum.StrEnum):
    # If any member is not amenable, the whole family is processed together in the US; if a
    # member waits for a fear interview, the whole family waits.
    KEEP_TOGETHER = "keep_together"
    # Each member keeps their own outcome (recorded, never the default).
    INDIVIDUAL = "individual"


_FAMILYTYPE_VALUES = frozenset(FamilyType)
_FEAROFRETURN_VALUES = frozenset(FearOfReturn)
_FEAROUTCOME_VALUES = frozenset(FearOutcome)
_FAMILYPOLICY_VALUES = frozenset(FamilyPolicy)


class Code(enum.StrEnum):
    UNACCOMPANIED_CHILD = "UNACCOMPANIED_CHILD"
    MEXICAN_NATIONAL = "MEXICAN_NATIONAL"
    EXPEDITED_REMOVAL = "EXPEDITED_REMOVAL"
    RETURNING_LPR = "RETURNING_LPR"
    PAROLE = "PAROLE"
    HEALTH = "HEALTH"
    CRIMINAL_HISTORY = "CRIMINAL_HISTORY"
    GOVERNMENT_INTEREST = "GOVERNMENT_INTEREST"
    FEAR_POSITIVE = "FEAR_POSITIVE"
    PORT_DIRECTOR_DISCRETION = "PORT_DIRECTOR_DISCRETION"
    NOT_ENROLLING = "NOT_ENROLLING"
    PREGNANCY = "PREGNANCY"


REASON_MESSAGES: dict[str, Any] = {
    Code.UNACCOMPANIED_CHILD: _(
        "Unaccompanied child (under 18 with no parent or legal guardian present): "
        "never enrolled; referred to ORR custody within 72 hours."
    ),
    Code.MEXICAN_NATIONAL: _("Citizen or national of Mexico."),
    Code.EXPEDITED_REMOVAL: _("Already processed for expedited removal."),
    Code.RETURNING_LPR: _("Returning lawful permanent resident seeking admission."),
    Code.PAROLE: _("Holds an advance parole document or is in parole status."),
    Code.HEALTH: _("Known physical or mental health issue."),
    Code.CRIMINAL_HISTORY: _("Criminal record or history of violence."),
    Code.GOVERNMENT_INTEREST: _("Of interest to the Government of Mexico or the US Government."),
    Code.FEAR_POSITIVE: _(
        "An asylum officer found it more likely than not that this person would face "
        "persecution or torture in Mexico."
    ),
    Code.PORT_DIRECTOR_DISCRETION: _("Excluded at the discretion of the Port Director."),
    Code.NOT_ENROLLING: _(
        "This port does not enrol this nationality or family type on the date of the encounter."
    ),
    Code.PREGNANCY: _("Pregnant (vulnerability excluded by this rule set)."),
}

# Vulnerabilities an administrator may switch on or off in a rule set; each maps to the
# profile flag that shows it.
VULNERABILITIES: dict[str, str] = {Code.PREGNANCY: "pregnant"}


def reason_message(code: str) -> Any:
    return REASON_MESSAGES.get(code, code)


@dataclass(frozen=True)
class Reason:
    code: str
    message: Any
    # The Port Director's written reason, for PORT_DIRECTOR_DISCRETION.
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        text = str(self.message)
        if self.detail:
            text = f"{text} {self.detail}"
        return {"code": self.code, "message": text}


_PLAIN_REASONS: dict[str, Reason] = {}


def make_reason(code: str, detail: str = "") -> Reason:
    if detail:
        return Reason(code=code, message=reason_message(code), detail=detail)
    # Reasons are immutable, so one instance per code serves every decision.
    reason = _PLAIN_REASONS.get(code)
    if reason is None:
        reason = _PLAIN_REASONS[code] = Reason(code=code, message=reason_message(code))
    return reason


def _invalid(key: str, message: Any) -> DomainError:
    return DomainError("screening.profile_invalid", message, field=key, status=400)


PROFILE_KEYS = (
    "port", "encounter_date", "date_of_birth", "nationality", "family_type",
    "processed_for_expedited_removal", "returning_lpr", "parole", "known_health_issue",
    "criminal_history", "government_interest", "pregnant", "fear_of_return",
    "fear_interview_outcome", "port_director_exclusion",
)
FLAG_KEYS = (
    "processed_for_expedited_removal", "returning_lpr", "parole", "known_health_issue",
    "criminal_history", "government_interest", "pregnant",
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class ScreeningProfile:
    """What an officer knows about one person at screening time (no names)."""

    port: str
    encounter_date: dt.date
    date_of_birth: dt.date
    nationality: str
    family_type: str
    processed_for_expedited_removal: bool = False
    returning_lpr: bool = False
    parole: bool = False
    known_health_issue: bool = False
    criminal_history: bool = False
    government_interest: bool = False
    pregnant: bool = False
    fear_of_return: str = FearOfReturn.NONE
    fear_interview_outcome: str | None = None
    port_director_exclusion: str | None = None

    def __post_init__(self) -> None:
        validate_profile(self)

    @property
    def age(self) -> int:
        return age_on(self.date_of_birth, self.encounter_date)

    @property
    def fear_claimed(self) -> bool:
        return self.fear_of_return != FearOfReturn.NONE

    def as_dict(self) -> dict[str, Any]:
        # Spelled out (not a loop over PROFILE_KEYS): the demo seed calls this 100k times.
        return {
            "port": self.port,
            "encounter_date": self.encounter_date.isoformat(),
            "date_of_birth": self.date_of_birth.isoformat(),
            "nationality": self.nationality,
            "family_type": str(self.family_type),
            "processed_for_expedited_removal": self.processed_for_expedited_removal,
            "returning_lpr": self.returning_lpr,
            "parole": self.parole,
            "known_health_issue": self.known_health_issue,
            "criminal_history": self.criminal_history,
            "government_interest": self.government_interest,
            "pregnant": self.pregnant,
            "fear_of_return": str(self.fear_of_return),
            "fear_interview_outcome": self.fear_interview_outcome,
            "port_director_exclusion": self.port_director_exclusion,
        }

    @classmethod
    def from_dict(cls, data: Any, *, strict: bool = True) -> ScreeningProfile:
        """Parse a JSON object. Strict: every key present, no unknown key, exact types."""
        if not isinstance(data, Mapping):
            raise _invalid("profile", _("The profile must be a JSON object."))
        unknown = sorted(set(data) - set(PROFILE_KEYS))
        if unknown:
            raise _invalid(str(unknown[0]), _("Unknown key “%(key)s”.") % {"key": unknown[0]})
        values: dict[str, Any] = {}
        for key in PROFILE_KEYS:
            if key not in data:
                if strict:
                    raise _invalid(key, _("The key “%(key)s” is missing.") % {"key": key})
                continue
            values[key] = _parse_value(key, data[key])
        return cls(**values)

    def replace(self, **changes: Any) -> ScreeningProfile:
        values = {k: getattr(self, k) for k in PROFILE_KEYS}
        values.update(changes)
        return ScreeningProfile(**values)


def _parse_value(key: str, value: Any) -> Any:
    if key in ("encounter_date", "date_of_birth"):
        if not isinstance(value, str):
            raise _invalid(key, _("“%(key)s” must be a date (YYYY-MM-DD).") % {"key": key})
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _invalid(
                key, _("“%(key)s” must be a date (YYYY-MM-DD).") % {"key": key}
            ) from None
    if key in FLAG_KEYS:
        if not isinstance(value, bool):
            raise _invalid(key, _("“%(key)s” must be true or false.") % {"key": key})
        return value
    if key in ("fear_interview_outcome", "port_director_exclusion") and value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(key, _("“%(key)s” must be text.") % {"key": key})
    return value


def validate_profile(p: ScreeningProfile) -> None:
    """Raise DomainError(screening.profile_invalid, field=key) for the first bad key."""
    if not isinstance(p.port, str) or not _SLUG.match(p.port):
        raise _invalid("port", _("“port” must be a port slug such as san-ysidro."))
    for key in ("encounter_date", "date_of_birth"):
        value = getattr(p, key)
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise _invalid(key, _("“%(key)s” must be a date (YYYY-MM-DD).") % {"key": key})
    if p.date_of_birth > p.encounter_date:
        raise _invalid("date_of_birth", _("The date of birth is after the encounter."))
    if p.age > 130:
        raise _invalid("date_of_birth", _("The date of birth is not plausible."))
    if not isinstance(p.nationality, str) or p.nationality not in ISO_ALPHA3:
        raise _invalid(
            "nationality", _("“nationality” must be an ISO 3166-1 alpha-3 code such as HND.")
        )
    if p.family_type not in _FAMILYTYPE_VALUES:
        raise _invalid(
            "family_type",
            _("“family_type” must be single_adult, family_unit or unaccompanied_child."),
        )
    for key in FLAG_KEYS:
        if not isinstance(getattr(p, key), bool):
            raise _invalid(key, _("“%(key)s” must be true or false.") % {"key": key})
    if p.fear_of_return not in _FEAROFRETURN_VALUES:
        raise _invalid(
            "fear_of_return", _("“fear_of_return” must be none, volunteered or asked.")
        )
    if p.fear_interview_outcome is not None:
        if p.fear_interview_outcome not in _FEAROUTCOME_VALUES:
            raise _invalid(
                "fear_interview_outcome",
                _("“fear_interview_outcome” must be null, positive, negative or closed."),
            )
        if not p.fear_claimed:
            raise _invalid(
                "fear_interview_outcome",
                _("A fear interview outcome needs a fear claim (volunteered or asked)."),
            )
    if p.port_director_exclusion is not None:
        if not isinstance(p.port_director_exclusion, str) or not p.port_director_exclusion.strip():
            raise _invalid(
                "port_director_exclusion",
                _("A Port Director exclusion needs a written reason."),
            )


# --------------------------------------------------------------------------- rule sets


def _invalid_rules(key: str, message: Any) -> DomainError:
    return DomainError("ruleset.invalid", message, field=key, status=400)


@dataclass(frozen=True)
class EnrolmentWindow:
    """From `date_from` (to `date_to`, inclusive, if set) the port enrols these people."""

    port: str
    date_from: dt.date
    nationalities: frozenset[str]
    family_types: frozenset[str]
    date_to: dt.date | None = None

    def covers(self, p: ScreeningProfile) -> bool:
        return (
            self.port == p.port
            and self.date_from <= p.encounter_date
            and (self.date_to is None or p.encounter_date <= self.date_to)
            and p.nationality in self.nationalities
            and p.family_type in self.family_types
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat() if self.date_to else None,
            "nationalities": sorted(self.nationalities),
            "family_types": sorted(self.family_types),
        }


@dataclass(frozen=True)
class RuleSet:
    version: str
    windows: tuple[EnrolmentWindow, ...]
    vulnerability_exclusions: frozenset[str] = frozenset({Code.PREGNANCY})
    family_policy: str = FamilyPolicy.KEEP_TOGETHER

    def definition(self) -> dict[str, Any]:
        """The JSON an administrator edits (the version is the row's, not the JSON's)."""
        return {
            "windows": [w.as_dict() for w in self.windows],
            "vulnerability_exclusions": sorted(self.vulnerability_exclusions),
            "family_policy": str(self.family_policy),
        }

    @classmethod
    def from_definition(cls, version: str, data: Any) -> RuleSet:
        """Validate an administrator's JSON; raise DomainError(ruleset.invalid, field=...)."""
        if not isinstance(data, Mapping):
            raise _invalid_rules("definition", _("The rule set must be a JSON object."))
        unknown = sorted(set(data) - {"windows", "vulnerability_exclusions", "family_policy"})
        if unknown:
            raise _invalid_rules(unknown[0], _("Unknown key “%(key)s”.") % {"key": unknown[0]})
        raw_windows = data.get("windows")
        if not isinstance(raw_windows, list):
            raise _invalid_rules("windows", _("“windows” must be a list."))
        windows = tuple(_window(i, w) for i, w in enumerate(raw_windows))
        vulns = data.get("vulnerability_exclusions", [])
        if not isinstance(vulns, list) or any(v not in VULNERABILITIES for v in vulns):
            raise _invalid_rules(
                "vulnerability_exclusions",
                _("Known vulnerability exclusions: %(known)s.")
                % {"known": ", ".join(VULNERABILITIES)},
            )
        policy = data.get("family_policy", FamilyPolicy.KEEP_TOGETHER)
        if policy not in _FAMILYPOLICY_VALUES:
            raise _invalid_rules(
                "family_policy", _("“family_policy” must be keep_together or individual.")
            )
        return cls(version=version, windows=windows, vulnerability_exclusions=frozenset(vulns),
                   family_policy=FamilyPolicy(policy))


def _window(i: int, w: Any) -> EnrolmentWindow:
    where = f"windows[{i}]"
    if not isinstance(w, Mapping):
        raise _invalid_rules(where, _("Each window must be a JSON object."))
    port = w.get("port")
    if not isinstance(port, str) or not _SLUG.match(port):
        raise _invalid_rules(f"{where}.port", _("A window needs a port slug."))
    try:
        date_from = dt.date.fromisoformat(w.get("from"))  # type: ignore[arg-type]
        date_to = dt.date.fromisoformat(w["to"]) if w.get("to") else None
    except (TypeError, ValueError):
        raise _invalid_rules(
            f"{where}.from", _("Window dates must be YYYY-MM-DD.")
        ) from None
    if date_to is not None and date_to < date_from:
        raise _invalid_rules(f"{where}.to", _("A window cannot end before it starts."))
    nats = w.get("nationalities")
    if not isinstance(nats, list) or not nats or any(n not in ISO_ALPHA3 for n in nats):
        raise _invalid_rules(
            f"{where}.nationalities",
            _("Nationalities must be a non-empty list of ISO 3166-1 alpha-3 codes."),
        )
    if "MEX" in nats:
        raise _invalid_rules(
            f"{where}.nationalities", _("Mexican nationals can never be enrolled in MPP.")
        )
    types = w.get("family_types")
    allowed = {FamilyType.SINGLE_ADULT, FamilyType.FAMILY_UNIT}
    if not isinstance(types, list) or not types or any(t not in allowed for t in types):
        raise _invalid_rules(
            f"{where}.family_types",
            _("Family types must be single_adult and/or family_unit "
              "(unaccompanied children are never enrolled)."),
        )
    return EnrolmentWindow(port=port, date_from=date_from, date_to=date_to,
                           nationalities=frozenset(nats), family_types=frozenset(types))


def _default_windows() -> tuple[EnrolmentWindow, ...]:
    sy = "san-ysidro"
    single = frozenset({FamilyType.SINGLE_ADULT})
    both = frozenset({FamilyType.SINGLE_ADULT, FamilyType.FAMILY_UNIT})
    windows = [
        EnrolmentWindow(sy, dt.date(2019, 1, 28), NORTHERN_TRIANGLE, single),
        EnrolmentWindow(sy, dt.date(2019, 2, 13), NORTHERN_TRIANGLE,
                        frozenset({FamilyType.FAMILY_UNIT})),
        EnrolmentWindow(sy, dt.date(2019, 6, 1), SPANISH_SPEAKING, both),
    ]
    # "The whole border by end of May 2019": the other MPP ports from June 2019.
    for port in ("calexico", "el-paso", "laredo", "brownsville"):
        windows.append(EnrolmentWindow(port, dt.date(2019, 6, 1), SPANISH_SPEAKING, both))
    return tuple(windows)


# Pregnancy is not on the official list (pregnant women were returned, Human Rights First
# 2019); Garita ships with it excluded because safety comes first. An administrator can
# remove it, and every decision records the rule-set version it used.
DEFAULT_RULE_SET = RuleSet(version="v1", windows=_default_windows())


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Decision:
    outcome: str
    reasons: tuple[Reason, ...]
    rule_set_version: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": str(self.outcome),
            "reasons": [r.as_dict() for r in self.reasons],
            "rule_set": self.rule_set_version,
        }


def exclusion_reasons(p: ScreeningProfile, rules: RuleSet) -> tuple[Reason, ...]:
    """Every reason that makes this person not amenable, in a stable order."""
    reasons: list[Reason] = []
    is_child_alone = p.family_type == FamilyType.UNACCOMPANIED_CHILD or (
        p.age < 18 and p.family_type == FamilyType.SINGLE_ADULT
    )
    if is_child_alone:
        reasons.append(make_reason(Code.UNACCOMPANIED_CHILD))
    if p.nationality == "MEX":
        reasons.append(make_reason(Code.MEXICAN_NATIONAL))
    flags = (
        (p.processed_for_expedited_removal, Code.EXPEDITED_REMOVAL),
        (p.returning_lpr, Code.RETURNING_LPR),
        (p.parole, Code.PAROLE),
        (p.known_health_issue, Code.HEALTH),
        (p.criminal_history, Code.CRIMINAL_HISTORY),
        (p.government_interest, Code.GOVERNMENT_INTEREST),
    )
    reasons += [make_reason(code) for flag, code in flags if flag]
    if p.fear_interview_outcome == FearOutcome.POSITIVE:
        reasons.append(make_reason(Code.FEAR_POSITIVE))
    if p.port_director_exclusion is not None and p.port_director_exclusion.strip():
        reasons.append(make_reason(Code.PORT_DIRECTOR_DISCRETION,
                                   p.port_director_exclusion.strip()))
    if not any(w.covers(p) for w in rules.windows):
        reasons.append(make_reason(Code.NOT_ENROLLING))
    for code, flag in VULNERABILITIES.items():
        if code in rules.vulnerability_exclusions and getattr(p, flag):
            reasons.append(make_reason(code))
    return tuple(reasons)


def evaluate(profile: ScreeningProfile, rule_set: RuleSet) -> Decision:
    reasons = exclusion_reasons(profile, rule_set)
    if reasons:
        outcome = Outcome.NOT_AMENABLE
    elif profile.fear_claimed and profile.fear_interview_outcome is None:
        outcome = Outcome.PENDING_FEAR_INTERVIEW
    else:
        outcome = Outcome.AMENABLE
    return Decision(outcome=outcome, reasons=reasons, rule_set_version=rule_set.version)


@dataclass(frozen=True)
class MemberReason:
    """A reason of one family member that decided the family's outcome."""

    member: int
    name: str
    code: str
    message: Any
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"member": self.member, "name": self.name, "code": self.code,
                "message": str(self.message) + (f" {self.detail}" if self.detail else "")}


@dataclass(frozen=True)
class FamilyDecision:
    outcome: str
    # What applies to each member once the policy is applied (same order as the profiles).
    member_outcomes: tuple[str, ...]
    members: tuple[Decision, ...]
    reasons: tuple[MemberReason, ...]
    policy: str
    rule_set_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": str(self.outcome),
            "policy": str(self.policy),
            "rule_set": self.rule_set_version,
            "reasons": [r.as_dict() for r in self.reasons],
            "members": [
                {**d.as_dict(), "applied_outcome": str(o)}
                for d, o in zip(self.members, self.member_outcomes, strict=True)
            ],
        }


_PROTECTIVE_ORDER = (Outcome.NOT_AMENABLE, Outcome.PENDING_FEAR_INTERVIEW, Outcome.AMENABLE)


def evaluate_family(
    profiles: Sequence[ScreeningProfile],
    rule_set: RuleSet,
    names: Sequence[str] | None = None,
) -> FamilyDecision:
    """Decide every member, then apply the rule set's family policy.

    keep_together: one member not amenable -> the whole family is processed in the US; else
    one member waiting for a fear interview -> the whole family waits (nobody is returned).
    The family's reasons name each member whose own reasons or open claim decided it.
    """
    if not profiles:
        raise DomainError("screening.empty_family", _("A family needs at least one person."),
                          field="profiles")
    labels = list(names) if names is not None else [
        str(_("Person %(n)s") % {"n": i + 1}) for i in range(len(profiles))
    ]
    members = tuple(evaluate(p, rule_set) for p in profiles)
    outcomes = {d.outcome for d in members}
    family_outcome = next(o for o in _PROTECTIVE_ORDER if o in outcomes)
    reasons: list[MemberReason] = []
    for i, d in enumerate(members):
        for r in d.reasons:
            reasons.append(MemberReason(i, labels[i], r.code, r.message, r.detail))
        if d.outcome == Outcome.PENDING_FEAR_INTERVIEW:
            reasons.append(MemberReason(i, labels[i], "FEAR_CLAIM_OPEN",
                                        _("Expressed fear of return: waiting for an asylum "
                                          "officer's interview.")))
    member_outcomes: tuple[str, ...]
    if rule_set.family_policy == FamilyPolicy.KEEP_TOGETHER:
        member_outcomes = tuple(str(family_outcome) for _m in members)
    else:
        member_outcomes = tuple(d.outcome for d in members)
    return FamilyDecision(
        outcome=family_outcome,
        member_outcomes=member_outcomes,
        members=members,
        reasons=tuple(reasons),
        policy=rule_set.family_policy,
        rule_set_version=rule_set.version,
    )

