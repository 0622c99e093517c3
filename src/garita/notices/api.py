"""JSON API for notices (mounted at /api/v1/notices/): parse, call one service, return.

The plain look-up PIN is never returned here: it exists only on the NTA document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Schema, Status

from garita.intake.selectors import case_get_for
from garita.notices import services
from garita.notices.models import Notice

router = Router()


class NoticeOut(Schema):
    id: int
    kind: str
    a_number: str
    hearing: int
    language: str
    issued_at: str
    served_at: str | None
    service_method: str
    acknowledgement: str
    address_override_reason: str
    pdf_url: str


def notice_out(n: Notice) -> dict[str, Any]:
    return {
        "id": n.pk, "kind": n.kind, "a_number": n.case.a_number, "hearing": n.hearing_id,
        "language": n.language, "issued_at": n.issued_at.isoformat(),
        "served_at": n.served_at.isoformat() if n.served_at else None,
        "service_method": n.service_method, "acknowledgement": n.acknowledgement,
        "address_override_reason": n.address_override_reason,
        "pdf_url": reverse("notices:pdf", args=[n.pk]),
    }


def _notice(request: HttpRequest, notice_id: int) -> Notice:
    n = get_object_or_404(Notice.objects.select_related("case").defer("pdf"), pk=notice_id)
    case_get_for(request.user, case_id=n.case_id)
    return n


class NtaIn(Schema):
    a_number: str
    override_reason: str = ""
    language: str = ""


@router.post("/nta", response={201: NoticeOut})
def nta_issue(request: HttpRequest, payload: NtaIn) -> Status[dict[str, Any]]:
    """Issue the NTA for the case's scheduled hearing (refused without time and place, or
    with a placeholder address unless a supervisor overrides with a reason)."""
    case = case_get_for(request.user, a_number=payload.a_number)
    nta, _pin = services.nta_issue(actor=request.user, case=case,
                                   override_reason=payload.override_reason,
                                   language=payload.language)
    return Status(201, notice_out(nta))


@router.get("/cases/{a_number}", response=list[NoticeOut])
def case_notices(request: HttpRequest, a_number: str) -> list[dict[str, Any]]:
    case = case_get_for(request.user, a_number=a_number)
    return [notice_out(n) for n in Notice.objects.filter(case=case).select_related("case")
            .defer("pdf")]


class ServiceIn(Schema):
    method: str
    acknowledgement: str = ""
    served_at: dt.datetime | None = None
    proof: str = ""


@router.post("/{notice_id}/service", response=NoticeOut)
def record_service(request: HttpRequest, notice_id: int, payload: ServiceIn) -> dict[str, Any]:
    from garita.core.errors import DomainError

    if payload.served_at is not None and payload.served_at.tzinfo is None:
        from django.utils.translation import gettext as _

        raise DomainError("notice.naive_time", _("Give the time with its UTC offset."),
                          field="served_at")
    n = services.notice_record_service(
        actor=request.user, notice=_notice(request, notice_id), method=payload.method,
        acknowledgement=payload.acknowledgement, served_at=payload.served_at,
        proof=payload.proof)
    return notice_out(_notice(request, n.pk))


@router.get("/{notice_id}/pdf")
def pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    from garita.notices.views import pdf_response

    return pdf_response(request, notice_id)
