"""Who may reach which endpoint: the table the role x endpoint matrix test checks.

Every URL pattern and every API operation must match a rule here, so a new endpoint fails
the matrix test until someone classifies it (one line). First matching rule wins.

Keys:
- pages: the namespaced URL name (`"core:home"`, glob allowed: `"admin:*"`), or for an
  unnamed pattern its path with `{param}` placeholders (`"/admin/{url}"`);
  `methods` defaults to GET;
- API operations: `"METHOD /api/v1/path/{param}"` as in the OpenAPI schema (globs allowed).
Access:
- PUBLIC: everyone, anonymous included; STAFF: any logged-in role; or a set of roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from garita.accounts.roles import GRANTS, Permission, Role

PUBLIC = frozenset({"anonymous", *(r.value for r in Role)})
STAFF = frozenset(r.value for r in Role)
R = Role
P = Permission


def roles(*members: Role) -> frozenset[str]:
    return frozenset(m.value for m in members)


def granted(perm: Permission) -> frozenset[str]:
    """The roles holding a permission, so the table follows accounts.roles.GRANTS."""
    return frozenset(r.value for r in GRANTS[perm])


ADMIN_ONLY = roles(R.ADMINISTRATOR)
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    key: str
    allowed: frozenset[str]
    methods: tuple[str, ...] = ("GET",)
    # The sample object behind a path parameter may not exist for this endpoint
    # (e.g. admin "view on site"): a 404 then is not a denial.
    allow_404: bool = False
    # A JSON body to send to this API operation (default: a minimal valid body built from
    # the OpenAPI schema), e.g. when the schema alone cannot express a valid request.
    body: dict[str, Any] | None = None
    # Probe with real requests (False only for endpoints with side effects on others,
    # e.g. sending SMS; they are still classified).
    probe: bool = True
    # Operations on a case answer 404 to a representative or shelter outside its scope;
    # False for the few that legitimately act on cases not yet in scope (filing an EOIR-28).
    scoped: bool = True
    note: str = ""


def page(key: str, allowed: frozenset[str], **kw: Any) -> Rule:
    return Rule(key=key, allowed=allowed, **kw)


def api(key: str, allowed: frozenset[str], **kw: Any) -> Rule:
    method, _, _path = key.partition(" ")
    return Rule(key=key, allowed=allowed, methods=(method.upper(),), **kw)


POLICY: list[Rule] = [
    # core and accounts
    page("core:home", PUBLIC),
    page("accounts:login", PUBLIC, methods=("GET", "POST")),
    page("accounts:logout", PUBLIC, methods=("POST",), note="logs out whoever asks"),
    page("set_language", PUBLIC, methods=("POST",)),
    # Django admin: reference data, administrators only
    page("admin:login", PUBLIC, methods=("GET", "POST")),
    page("admin:logout", PUBLIC, methods=("POST",)),
    page("admin:view_on_site", ADMIN_ONLY, allow_404=True),
    page("admin:autocomplete", ADMIN_ONLY, probe=False,
         note="answers 403 without its query parameters; no model uses autocomplete yet"),
    # Log-in records and task results are written by the system, never by hand.
    page("admin:axes_*_add", NOBODY),
    page("admin:django_tasks_database_dbtaskresult_add", NOBODY),
    page("admin:django_tasks_database_dbtaskresult_delete", NOBODY),
    # Screening decisions, fear claims and ORR referrals are records of what was decided:
    # made through the screening services (with reasons and audit), never added or deleted
    # by hand; a rule set is superseded by a new version, never deleted.
    page("admin:screening_screeningdecision_add", NOBODY),
    page("admin:screening_screeningdecision_delete", NOBODY),
    page("admin:screening_fearclaim_add", NOBODY),
    page("admin:screening_fearclaim_delete", NOBODY),
    page("admin:screening_orrreferral_add", NOBODY),
    page("admin:screening_orrreferral_delete", NOBODY),
    page("admin:screening_ruleset_delete", NOBODY),
    page("admin:hearings_hearing_add", NOBODY, note="hearings are scheduled by the services"),
    page("admin:hearings_hearing_delete", NOBODY),
    page("admin:*", ADMIN_ONLY),
    page("/admin/*", ADMIN_ONLY, allow_404=True,
         note="unnamed admin patterns: the catch-all and the old object-id redirects"),
    # API plumbing
    page("api-v1:api-root", PUBLIC, allow_404=True, note="the API has no index page"),
    page("api-v1:openapi-json", PUBLIC),
    page("api-v1:openapi-view", PUBLIC),
    api("GET /api/v1/health", PUBLIC),
    # -- intake: cases are scoped further (representatives by appearance, shelters by
    # consent) by intake.selectors.cases_visible_to; the services check each write --
    page("intake:case_list", granted(P.CASE_VIEW)),
    page("intake:encounter_new", granted(P.ENCOUNTER_RECORD), methods=("GET", "POST")),
    page("intake:encounter_detail", granted(P.CASE_VIEW)),
    page("intake:case_detail", granted(P.CASE_VIEW)),
    page("intake:case_address", granted(P.ADDRESS_CHANGE), methods=("POST",)),
    page("intake:case_contact", granted(P.CONTACT_EDIT), methods=("POST",)),
    page("intake:case_consent", granted(P.CONSENT_RECORD), methods=("POST",)),
    page("intake:case_appearance", roles(R.COURT_CLERK), methods=("POST",),
         note="a clerk records a representative's EOIR-28 on the case page; a representative "
              "files with the client's date of birth (intake:appearance_new) and gets 404 here"),
    page("intake:consent_revoke", granted(P.CONSENT_RECORD), methods=("POST",), allow_404=True,
         note="the sample consent id may not exist"),
    page("intake:appearance_new", granted(P.APPEARANCE_FILE), methods=("GET", "POST")),
    page("intake:appearance_withdraw", granted(P.APPEARANCE_FILE), methods=("POST",),
         allow_404=True, note="the sample appearance id may not exist"),
    # -- screening: protected data (8 CFR 208.6) --
    page("screening:index", granted(P.SCREENING_DECIDE)),
    page("screening:encounter", granted(P.SCREENING_DECIDE)),
    page("screening:case", granted(P.SCREENING_VIEW)),
    page("screening:fear_claim", granted(P.FEAR_CLAIM_RAISE), methods=("GET", "POST")),
    page("screening:approvals", granted(P.SCREENING_APPROVE)),
    page("screening:fear_interviews", granted(P.FEAR_INTERVIEW_RECORD)),
    # -- waitlist: the board, position look-up and transparency log are public (numbers,
    # never names); staff pages need a log-in, and each action its permission --
    page("waitlist:staff_index", STAFF),
    page("waitlist:staff_port", STAFF, note="numbers only; names need waitlist.view_names"),
    page("waitlist:staff_register", granted(P.WAITLIST_REGISTER), methods=("POST",)),
    page("waitlist:staff_capacity", granted(P.WAITLIST_OPERATE), methods=("POST",)),
    page("waitlist:staff_call", granted(P.WAITLIST_OPERATE), methods=("POST",)),
    page("waitlist:staff_presence", granted(P.WAITLIST_OPERATE), methods=("POST",)),
    page("waitlist:staff_remove", granted(P.WAITLIST_OPERATE), methods=("POST",)),
    page("waitlist:staff_settings", granted(P.WAITLIST_OPERATE), methods=("POST",)),
    page("waitlist:staff_draw", granted(P.WAITLIST_OPERATE), methods=("POST",)),
    page("waitlist:board_json", PUBLIC),
    page("waitlist:board", PUBLIC),
    page("waitlist:position", PUBLIC, methods=("GET", "POST")),
    page("waitlist:log_checkpoint", PUBLIC, allow_404=True,
         note="404 until the first checkpoint is published"),
    page("waitlist:log_key", PUBLIC),
    page("waitlist:log_tile", PUBLIC, allow_404=True, note="the sample tile may not exist"),
    # -- hotline: Twilio webhooks (signature-checked, tested by the hotline) and /status --
    page("hotline:voice", PUBLIC, methods=("POST",)),
    page("hotline:voice_*", PUBLIC, methods=("POST",)),
    page("hotline:sms", PUBLIC, methods=("POST",), probe=False,
         note="replies by SMS; the hotline's tests cover it"),
    page("hotline:status_callback", PUBLIC, methods=("POST",)),
    page("hotline:prompt_audio", PUBLIC, allow_404=True, note="the sample prompt may not exist"),
    page("hotline-public:status", PUBLIC, methods=("GET", "POST")),
    # -- stats: public aggregates (small counts suppressed); the what-if model is internal --
    page("stats:index", PUBLIC),
    page("stats:csv", PUBLIC),
    page("stats:waitlist", PUBLIC),
    page("stats:what_if", granted(P.STATS_VIEW_INTERNAL)),
    # -- hearings and notices: case pages scoped like intake; each action's service checks
    # its own permission --
    page("hearings:case", granted(P.CASE_VIEW)),
    page("hearings:index", granted(P.CASE_VIEW)),
    page("hearings:find", granted(P.CASE_VIEW),
         note="no A-number given: a 400 refusal for those who may look cases up"),
    page("hearings:case_action", granted(P.CASE_VIEW), methods=("POST",),
         note="one form posting many actions (schedule, serve, check in, arrive, outcome, "
              "rescind); each service checks its permission and a refusal answers 403/409/400 "
              "with the case page; the probe (no action) gets the 400 for an unknown action"),
    page("hearings:docket", granted(P.CASE_VIEW), methods=("GET", "POST"), allow_404=True,
         note="the sample session may not exist"),
    page("hearings:hearing_day", granted(P.PORT_CHECKIN)),
    page("hearings:port_day", granted(P.PORT_CHECKIN), methods=("GET", "POST")),
    page("hearings:schedule", granted(P.HEARING_SCHEDULE), methods=("GET", "POST")),
    page("hearings:reschedule", granted(P.HEARING_RESCHEDULE_MASS), methods=("GET", "POST")),
    page("notices:pdf", granted(P.CASE_VIEW), allow_404=True,
         note="the sample notice may not exist; scoped by case"),
    # -- API --
    api("POST /api/v1/intake/encounters", granted(P.ENCOUNTER_RECORD)),
    api("GET /api/v1/intake/cases", granted(P.CASE_VIEW)),
    api("GET /api/v1/intake/cases/{a_number}", granted(P.CASE_VIEW)),
    api("GET /api/v1/intake/cases/{a_number}/contacts", granted(P.CONTACT_VIEW)),
    api("POST /api/v1/intake/cases/{a_number}/contacts", granted(P.CONTACT_EDIT)),
    api("POST /api/v1/intake/cases/{a_number}/address", granted(P.ADDRESS_CHANGE)),
    api("POST /api/v1/intake/cases/{a_number}/appearances", granted(P.APPEARANCE_FILE),
        body={"date_of_birth": "1990-05-17"}, scoped=False,
        note="an EOIR-28 puts a case into the representative's scope; without the client's "
             "date of birth a representative gets 404 (no A-number enumeration)"),
    api("POST /api/v1/intake/appearances/{appearance_id}/withdraw", granted(P.APPEARANCE_FILE),
        allow_404=True),
    api("POST /api/v1/intake/cases/{a_number}/consents", granted(P.CONSENT_RECORD)),
    api("POST /api/v1/intake/consents/{consent_id}/revoke", granted(P.CONSENT_RECORD),
        allow_404=True),
    api("POST /api/v1/screening/evaluate", granted(P.SCREENING_DECIDE)),
    api("POST /api/v1/screening/encounters/{encounter_id}/decisions",
        granted(P.SCREENING_DECIDE)),
    api("POST /api/v1/screening/decisions/{decision_id}/approve", granted(P.SCREENING_APPROVE),
        allow_404=True),
    api("POST /api/v1/screening/fear-claims", granted(P.FEAR_CLAIM_RAISE)),
    api("POST /api/v1/screening/fear-claims/{claim_id}/interview",
        granted(P.FEAR_INTERVIEW_RECORD), allow_404=True),
    api("GET /api/v1/screening/cases/{a_number}", granted(P.SCREENING_VIEW)),
    api("GET /api/v1/waitlist/{port}/board", PUBLIC),
    api("GET /api/v1/waitlist/{port}/numbers/{number}", PUBLIC, allow_404=True),
    api("POST /api/v1/waitlist/{port}/position", PUBLIC, probe=False,
        note="auth=None; a wrong number or PIN answers 403, which a probe cannot tell from a "
             "denial; the waitlist's tests cover it"),
    api("GET /api/v1/waitlist/{port}/history", PUBLIC),
    api("GET /api/v1/waitlist/{port}/log/*", PUBLIC, allow_404=True),
    api("POST /api/v1/waitlist/{port}/groups", granted(P.WAITLIST_REGISTER)),
    api("POST /api/v1/waitlist/{port}/draw/request", PUBLIC, probe=False,
        note="auth=None; answers 403 to a wrong number or PIN, like position"),
    api("POST /api/v1/waitlist/{port}/*", granted(P.WAITLIST_OPERATE), allow_404=True),
    api("GET /api/v1/hearings/cases/{a_number}", granted(P.CASE_VIEW)),
    api("POST /api/v1/hearings/cases/{a_number}/schedule", granted(P.HEARING_SCHEDULE)),
    api("POST /api/v1/hearings/{hearing_id}/check-in", granted(P.PORT_CHECKIN), allow_404=True),
    api("POST /api/v1/hearings/escort-runs", granted(P.PORT_CHECKIN)),
    api("POST /api/v1/hearings/escort-runs/{run_id}/arrive", granted(P.PORT_CHECKIN),
        allow_404=True),
    api("POST /api/v1/hearings/{hearing_id}/outcome", granted(P.HEARING_RECORD_OUTCOME),
        allow_404=True),
    api("POST /api/v1/hearings/{hearing_id}/rescind", granted(P.HEARING_RECORD_OUTCOME),
        allow_404=True),
    api("POST /api/v1/hearings/reschedule/*", granted(P.HEARING_RESCHEDULE_MASS),
        body={"rule": "plus_days", "days": 7, "reason": "matrix probe"}),
    api("GET /api/v1/hearings/sessions", granted(P.CASE_VIEW)),
    api("POST /api/v1/notices/nta", granted(P.NOTICE_ISSUE), body={"a_number": "A999999999"},
        allow_404=True, note="the case is looked up (scoped) first: 404 for an unknown one"),
    api("GET /api/v1/notices/cases/{a_number}", granted(P.CASE_VIEW)),
    api("POST /api/v1/notices/{notice_id}/service",
        granted(P.NOTICE_ISSUE) | granted(P.HEARING_SCHEDULE) | granted(P.HEARING_RECORD_OUTCOME),
        allow_404=True),
    api("GET /api/v1/notices/{notice_id}/pdf", granted(P.CASE_VIEW), allow_404=True),
    api("POST /api/v1/hotline/lookup", PUBLIC),
    api("GET /api/v1/stats/forecast/waitlist", PUBLIC, allow_404=True,
        note="the probe's port and number are placeholders: 404"),
    api("GET /api/v1/stats/*", PUBLIC),
]


def rule_for_page(name: str | None, path: str) -> Rule | None:
    for rule in POLICY:
        if rule.key.startswith(("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")):
            continue
        if (name and fnmatchcase(name, rule.key)) or fnmatchcase(path, rule.key):
            return rule
    return None


def rule_for_operation(method: str, path: str) -> Rule | None:
    key = f"{method.upper()} {path}"
    for rule in POLICY:
        if fnmatchcase(key, rule.key):
            return rule
    return None


@dataclass
class Samples:
    """Objects the matrix fills path parameters with (visible to every scoped role)."""

    values: dict[str, Any] = field(default_factory=dict)


# Path parameter name -> how to fill it from Samples; add one line for a new name.
SAMPLE_PARAMS: dict[str, Callable[[Samples], Any]] = {
    "port": lambda s: s.values["port_slug"],
    "port_slug": lambda s: s.values["port_slug"],
    "slug": lambda s: s.values["port_slug"],
    "case_id": lambda s: s.values["case"].pk,
    "case_pk": lambda s: s.values["case"].pk,
    "a_number": lambda s: s.values["case"].a_number,
    "encounter_id": lambda s: s.values["case"].person.encounter_id,
    "person_id": lambda s: s.values["case"].person_id,
    "pk": lambda s: s.values["case"].pk,
    "consent_id": lambda s: 999999,
    "appearance_id": lambda s: 999999,
    "decision_id": lambda s: 999999,
    "claim_id": lambda s: 999999,
    "number": lambda s: 1,
    "rest": lambda s: "0/000",
    "hearing_id": lambda s: 999999,
    "run_id": lambda s: 999999,
    "notice_id": lambda s: 999999,
    "session_id": lambda s: 999999,
    "id": lambda s: s.values["case"].pk,
    "object_id": lambda s: 1,
    "content_type_id": lambda s: 1,
    "app_label": lambda s: s.values["admin_app_label"],
    "url": lambda s: "no-such-admin-page/",
    "uidb64": lambda s: "MQ",
    "token": lambda s: "set-password",
}

# Pages that show one case by A-number: an unrelated representative or shelter gets 404.
CASE_PAGES = ["intake:case_detail", "screening:case", "hearings:case"]

# Path parameters that name a case: an unrelated representative or shelter gets 404.
CASE_PARAMS = frozenset({"case_id", "case_pk", "a_number"})
