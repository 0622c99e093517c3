"""Case states and the transitions allowed between them. Pure: no database.

Services move a case only along CASE_TRANSITIONS; the guard that a case with an open fear
claim is never returned to Mexico is applied by intake.services.case_transition.
"""

from __future__ import annotations

from garita.intake.models import CaseStatus as S

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.ENCOUNTERED: frozenset({S.PENDING_FEAR_INTERVIEW, S.NOT_AMENABLE, S.AMENABLE}),
    S.PENDING_FEAR_INTERVIEW: frozenset({S.NOT_AMENABLE, S.AMENABLE}),
    S.AMENABLE: frozenset({S.PENDING_FEAR_INTERVIEW, S.NOT_AMENABLE, S.NTA_ISSUED}),
    S.NOT_AMENABLE: frozenset({S.NTA_ISSUED}),  # processed in the US, still gets an NTA
    S.NTA_ISSUED: frozenset(
        {S.RETURNED_TO_MEXICO, S.IN_PROCEEDINGS, S.PENDING_FEAR_INTERVIEW, S.REMOVED_FROM_MPP}
    ),
    S.RETURNED_TO_MEXICO: frozenset(
        {S.IN_PROCEEDINGS, S.PENDING_FEAR_INTERVIEW, S.REMOVED_FROM_MPP, S.RELIEF_GRANTED,
         S.REMOVAL_ORDERED, S.REMOVAL_ORDERED_IN_ABSENTIA, S.TERMINATED}
    ),
    S.IN_PROCEEDINGS: frozenset(
        {S.RETURNED_TO_MEXICO, S.PENDING_FEAR_INTERVIEW, S.REMOVED_FROM_MPP, S.RELIEF_GRANTED,
         S.REMOVAL_ORDERED, S.REMOVAL_ORDERED_IN_ABSENTIA, S.TERMINATED}
    ),
    # An in-absentia order can be rescinded (reopened) into proceedings again.
    S.REMOVAL_ORDERED_IN_ABSENTIA: frozenset({S.IN_PROCEEDINGS}),
    S.RELIEF_GRANTED: frozenset(),
    S.REMOVAL_ORDERED: frozenset(),
    S.TERMINATED: frozenset(),
    S.REMOVED_FROM_MPP: frozenset({S.IN_PROCEEDINGS}),
}

PENDING_STATUSES = frozenset(
    {S.ENCOUNTERED, S.PENDING_FEAR_INTERVIEW, S.AMENABLE, S.NOT_AMENABLE, S.NTA_ISSUED,
     S.RETURNED_TO_MEXICO, S.IN_PROCEEDINGS, S.REMOVED_FROM_MPP}
)


def can_transition(current: str, target: str) -> bool:
    return target in CASE_TRANSITIONS.get(current, frozenset())
