"""Roles and what each may do: need-to-know, enforced in services, not only in views.

Pure data: a Permission is granted to a set of roles; `allowed(role, perm)` is the rule.
"""

from __future__ import annotations

import enum

from django.utils.translation import gettext_lazy as _


class Role(enum.StrEnum):
    PORT_OFFICER = "port_officer"
    SUPERVISOR = "supervisor"
    PORT_DIRECTOR = "port_director"
    ASYLUM_OFFICER = "asylum_officer"
    COURT_CLERK = "court_clerk"
    JUDGE = "judge"
    LEGAL_REPRESENTATIVE = "legal_representative"
    SHELTER_STAFF = "shelter_staff"
    ANALYST = "analyst"
    ADMINISTRATOR = "administrator"


ROLE_LABELS = {
    Role.PORT_OFFICER: _("Port officer"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.PORT_DIRECTOR: _("Port director"),
    Role.ASYLUM_OFFICER: _("Asylum officer"),
    Role.COURT_CLERK: _("Court clerk"),
    Role.JUDGE: _("Immigration judge"),
    Role.LEGAL_REPRESENTATIVE: _("Legal representative"),
    Role.SHELTER_STAFF: _("Shelter staff"),
    Role.ANALYST: _("Analyst"),
    Role.ADMINISTRATOR: _("Administrator"),
}


class Permission(enum.StrEnum):
    # intake
    ENCOUNTER_RECORD = "encounter.record"
    CASE_VIEW = "case.view"  # scoped further for representatives and shelters
    CONTACT_VIEW = "contact.view"  # protected: contact details
    CONTACT_EDIT = "contact.edit"
    ADDRESS_CHANGE = "address.change"  # EOIR-33
    CONSENT_RECORD = "consent.record"  # 8 CFR 208.6 written consent
    CASE_HISTORY_VIEW = "case.history"  # the case's audit trail (government staff)
    # screening
    SCREENING_DECIDE = "screening.decide"
    SCREENING_APPROVE = "screening.approve"
    SCREENING_VIEW = "screening.view"  # protected
    FEAR_INTERVIEW_RECORD = "fear.record"
    FEAR_VIEW = "fear.view"  # protected
    PORT_DIRECTOR_EXCLUDE = "screening.director_exclude"
    RULESET_EDIT = "ruleset.edit"
    # waitlist
    WAITLIST_REGISTER = "waitlist.register"
    WAITLIST_OPERATE = "waitlist.operate"  # set capacity, call, mark presence
    WAITLIST_VIEW_NAMES = "waitlist.view_names"
    # hearings
    HEARING_SCHEDULE = "hearing.schedule"
    HEARING_RECORD_OUTCOME = "hearing.outcome"
    HEARING_RESCHEDULE_MASS = "hearing.reschedule_mass"
    NOTICE_ISSUE = "notice.issue"
    NOTICE_OVERRIDE_ADDRESS = "notice.override_address"
    PORT_CHECKIN = "port.checkin"
    # representation
    APPEARANCE_FILE = "appearance.file"
    # stats and admin
    STATS_VIEW_INTERNAL = "stats.internal"
    AUDIT_VIEW = "audit.view"
    REFERENCE_EDIT = "reference.edit"
    # screening (added): raising a fear-of-return claim at any point of the journey
    FEAR_CLAIM_RAISE = "fear.raise"


R = Role
GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.ENCOUNTER_RECORD: frozenset({R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR}),
    Permission.CASE_VIEW: frozenset(
        {
            R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.ASYLUM_OFFICER, R.COURT_CLERK,
            R.JUDGE, R.LEGAL_REPRESENTATIVE, R.SHELTER_STAFF, R.ADMINISTRATOR,
        }
    ),
    Permission.CONTACT_VIEW: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.COURT_CLERK, R.LEGAL_REPRESENTATIVE,
         R.SHELTER_STAFF}
    ),
    Permission.CONTACT_EDIT: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.COURT_CLERK, R.LEGAL_REPRESENTATIVE,
         R.SHELTER_STAFF}
    ),
    Permission.ADDRESS_CHANGE: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.COURT_CLERK, R.LEGAL_REPRESENTATIVE,
         R.SHELTER_STAFF}
    ),
    Permission.CONSENT_RECORD: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.COURT_CLERK, R.LEGAL_REPRESENTATIVE}
    ),
    Permission.CASE_HISTORY_VIEW: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.ASYLUM_OFFICER, R.COURT_CLERK,
         R.JUDGE, R.ADMINISTRATOR}
    ),
    Permission.SCREENING_DECIDE: frozenset({R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR}),
    Permission.SCREENING_APPROVE: frozenset({R.SUPERVISOR, R.PORT_DIRECTOR}),
    Permission.SCREENING_VIEW: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.ASYLUM_OFFICER, R.LEGAL_REPRESENTATIVE}
    ),
    Permission.FEAR_INTERVIEW_RECORD: frozenset({R.ASYLUM_OFFICER}),
    Permission.FEAR_VIEW: frozenset(
        {R.ASYLUM_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.LEGAL_REPRESENTATIVE}
    ),
    Permission.PORT_DIRECTOR_EXCLUDE: frozenset({R.PORT_DIRECTOR}),
    Permission.RULESET_EDIT: frozenset({R.ADMINISTRATOR}),
    Permission.WAITLIST_REGISTER: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.SHELTER_STAFF}
    ),
    Permission.WAITLIST_OPERATE: frozenset({R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR}),
    Permission.WAITLIST_VIEW_NAMES: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.SHELTER_STAFF}
    ),
    # Judges continue hearings from the bench, which schedules the next one.
    Permission.HEARING_SCHEDULE: frozenset(
        {R.COURT_CLERK, R.SUPERVISOR, R.PORT_DIRECTOR, R.JUDGE}
    ),
    Permission.HEARING_RECORD_OUTCOME: frozenset({R.COURT_CLERK, R.JUDGE}),
    Permission.HEARING_RESCHEDULE_MASS: frozenset({R.COURT_CLERK, R.ADMINISTRATOR}),
    Permission.NOTICE_ISSUE: frozenset({R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR}),
    Permission.NOTICE_OVERRIDE_ADDRESS: frozenset({R.SUPERVISOR, R.PORT_DIRECTOR}),
    Permission.PORT_CHECKIN: frozenset({R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR}),
    Permission.APPEARANCE_FILE: frozenset({R.LEGAL_REPRESENTATIVE, R.COURT_CLERK}),
    Permission.STATS_VIEW_INTERNAL: frozenset(
        {R.ANALYST, R.SUPERVISOR, R.PORT_DIRECTOR, R.ADMINISTRATOR, R.COURT_CLERK}
    ),
    Permission.AUDIT_VIEW: frozenset({R.ADMINISTRATOR, R.PORT_DIRECTOR}),
    Permission.REFERENCE_EDIT: frozenset({R.ADMINISTRATOR}),
    Permission.FEAR_CLAIM_RAISE: frozenset(
        {R.PORT_OFFICER, R.SUPERVISOR, R.PORT_DIRECTOR, R.ASYLUM_OFFICER, R.COURT_CLERK,
         R.JUDGE, R.LEGAL_REPRESENTATIVE}
    ),
}


def allowed(role: str | None, perm: Permission) -> bool:
    if role is None:
        return False
    try:
        return Role(role) in GRANTS[perm]
    except ValueError:
        return False
