"""Notice downloads: the stored NTA or a notice rendered from the facts it states.

Scoped like the case (intake.selectors.case_get_for): a notice of a case the user may not
see is a 404, never a hint that it exists. Every download is audited.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from garita.audit import services as audit
from garita.core.errors import NotFound
from garita.intake.selectors import case_get_for
from garita.notices.models import Notice
from garita.notices.services import notice_pdf


def pdf_response(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.select_related("case"), pk=notice_id)
    try:
        case_get_for(request.user, case_id=notice.case_id)
    except NotFound as exc:
        raise Http404 from exc
    body = notice_pdf(notice)
    audit.record_read(actor=request.user, obj=notice, what="notice.pdf")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{notice.case.a_number}-{notice.kind}-{notice.pk}.pdf"')
    return response


@login_required
def pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    return pdf_response(request, notice_id)
