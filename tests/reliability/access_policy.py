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
    page("admin:*", ADMIN_ONLY),
    page("/admin/*", ADMIN_ONLY, allow_404=True,
         note="unnamed admin patterns: the catch-all and the old object-id redirects"),
    # API plumbing
    page("api-v1:api-root", PUBLIC, allow_404=True, note="the API has no index page"),
    page("api-v1:openapi-json", PUBLIC),
    page("api-v1:openapi-view", PUBLIC),
    api("GET /api/v1/health", PUBLIC),
    # -- add new endpoints below: one line each, e.g. --
    # page("intake:case_detail", granted(Permission.CASE_VIEW)),
    # page("waitlist:board", PUBLIC),
    # api("GET /api/v1/intake/cases/{a_number}", granted(Permission.CASE_VIEW)),
    # api("POST /api/v1/intake/cases/{case_id}/appearances",
    #     granted(Permission.APPEARANCE_FILE), scoped=False),
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
    "id": lambda s: s.values["case"].pk,
    "object_id": lambda s: 1,
    "content_type_id": lambda s: 1,
    "app_label": lambda s: s.values["admin_app_label"],
    "url": lambda s: "no-such-admin-page/",
    "uidb64": lambda s: "MQ",
    "token": lambda s: "set-password",
}

# Path parameters that name a case: an unrelated representative or shelter gets 404.
CASE_PARAMS = frozenset({"case_id", "case_pk", "a_number"})
