"""Staff pages of intake: the case list, recording a family's encounter in one form, and
the case page with its addresses, contacts, consents, appearances and audit history.

Views parse the form, call one service or selector and render; errors from the services
are put back next to the field they concern, with everything typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission, Role
from garita.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from garita.core.models import Port
from garita.intake import selectors, services
from garita.intake.anumber import format_anumber, parse_anumber
from garita.intake.domain import ADDRESS_PROBLEM_MESSAGES, AddressIn, MemberIn
from garita.intake.forms import (
    AddressChangeForm,
    AppearanceForm,
    ContactForm,
    EncounterForm,
    MemberFormSet,
)
from garita.intake.models import CaseStatus, Shelter

MEMBER_PREFIX = "members"


def domain_errors_as_pages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """PermissionDenied -> 403 page, NotFound -> 404 (never saying whether a case exists)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return HttpResponseForbidden(render_to_string(
                "intake/forbidden.html", {"message": exc.message}, request=request))
        except NotFound as exc:
            raise Http404(str(exc.message)) from None

    return wrapper


def _port_choices() -> list[tuple[str, str]]:
    return [(p.slug, p.name) for p in Port.objects.filter(active=True)]


@login_required
@domain_errors_as_pages
def case_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    status = request.GET.get("status", "")
    if status not in CaseStatus.values:
        status = ""
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    result = selectors.case_search(request.user, q=q, status=status, page=page)
    return render(request, "intake/case_list.html", {
        "result": result, "q": q, "status": status, "statuses": CaseStatus.choices,
        "can_record": has(request.user, Permission.ENCOUNTER_RECORD),
        "can_file_appearance": request.user.role == Role.LEGAL_REPRESENTATIVE,  # type: ignore[union-attr]
    })


def _raw_initial(data: Any, prefix: str, names: list[str]) -> dict[str, Any]:
    return {n: data.get(f"{prefix}-{n}" if prefix else n, "") for n in names}


def _member_field(field: str) -> str:
    return {"languages": "primary_language", "aliases": "given_names"}.get(field, field)


def _place_errors(form: EncounterForm, formset: Any, errors: list[DomainError],
                  contact_fields: list[str]) -> None:
    """Each service error goes next to the field it is about."""
    top_fields = {"port", "occurred_at", "family_type", "notes"}
    for err in errors:
        path = (err.field or "").split(".")
        message = str(err.message)
        if path[0] == "members" and len(path) == 3 and path[1].isdigit() and \
                int(path[1]) < len(formset.forms):
            formset.forms[int(path[1])].add_error(_member_field(path[2]), message)
        elif path[0] == "address" and len(path) == 2 and path[1] in form.fields:
            form.add_error(path[1], message)
        elif path[0] == "contacts" and len(path) >= 2 and path[1].isdigit() and \
                int(path[1]) < len(contact_fields):
            name = contact_fields[int(path[1])]
            # The WhatsApp copy of a bad phone number must not repeat the same error.
            if message not in form.errors.get(name, []):
                form.add_error(name, message)
        elif path[0] == "shelter_id":
            form.add_error("shelter", message)
        elif path[0] in top_fields:
            form.add_error(path[0], message)
        else:
            form.add_error(None, message)


@login_required
@domain_errors_as_pages
def encounter_new(request: HttpRequest) -> HttpResponse:
    """One form for the whole family; "add another member" is a plain submit button."""
    user: Any = request.user
    if not has(user, Permission.ENCOUNTER_RECORD):
        raise PermissionDenied()
    ports = _port_choices()
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    member_names = list(MemberFormSet.form.base_fields)
    top_names = list(EncounterForm.base_fields)
    if request.method != "POST" or action != "save":
        if request.method == "POST":
            # Re-draw what was typed, with one member more or less, without judging it yet.
            count = _member_count(request.POST)
            initial_members = [_raw_initial(request.POST, f"{MEMBER_PREFIX}-{i}", member_names)
                               for i in range(count)]
            if action == "add_member" and count < 20:
                initial_members.append({})
            elif action.startswith("remove_") and action[7:].isdigit() and count > 1:
                initial_members.pop(min(int(action[7:]), count - 1))
            initial_top = _raw_initial(request.POST, "", top_names)
            initial_top["phone_is_whatsapp"] = bool(request.POST.get("phone_is_whatsapp"))
        else:
            initial_members = [{}]
            # The port's clock, as the officer types it (Laredo is not on Tijuana time).
            local_now = timezone.localtime(timezone=ZoneInfo(user.port.timezone)
                                           if user.port_id else None)
            initial_top = {"port": user.port.slug if user.port_id else "san-ysidro",
                           "occurred_at": local_now.strftime("%Y-%m-%dT%H:%M"),
                           "city": "Tijuana", "state": "Baja California",
                           "family_type": "single_adult"}
        form = EncounterForm(initial=initial_top, ports=ports)
        formset = MemberFormSet(initial=initial_members, prefix=MEMBER_PREFIX)
        return _render_encounter(request, form, formset)

    form = EncounterForm(request.POST, ports=ports)
    formset = MemberFormSet(request.POST, prefix=MEMBER_PREFIX)
    if form.is_valid() & formset.is_valid():
        contacts, contact_fields = form.contacts()
        data = form.cleaned_data
        shelter: Shelter | None = data.get("shelter")
        # The officer types the port's local time (El Paso is not on Tijuana time).
        port = Port.objects.filter(slug=data["port"]).first()
        occurred_at = data["occurred_at"]
        if port is not None:
            occurred_at = timezone.make_aware(timezone.make_naive(occurred_at),
                                              ZoneInfo(port.timezone))
        try:
            encounter = services.encounter_record(
                actor=user, port_slug=data["port"], occurred_at=occurred_at,
                family_type=data["family_type"],
                members=[MemberIn(
                    given_names=m.cleaned_data["given_names"],
                    surnames=m.cleaned_data["surnames"],
                    date_of_birth=m.cleaned_data["date_of_birth"],
                    nationality=m.cleaned_data["nationality"],
                    languages=tuple(m.languages()), sex=m.cleaned_data.get("sex") or "",
                    relationship=m.cleaned_data.get("relationship") or "",
                    is_head=m.cleaned_data.get("relationship") == "head",
                ) for m in formset.forms],
                address=AddressIn(line1=data["line1"], neighborhood=data["neighborhood"],
                                  city=data["city"], state=data["state"],
                                  postal_code=data["postal_code"]),
                contacts=contacts, shelter_id=shelter.pk if shelter else None,
                notes=data["notes"],
            )
        except ValidationFailed as exc:
            _place_errors(form, formset, exc.errors, contact_fields)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            cases = encounter.created_cases  # type: ignore[attr-defined]
            messages.success(request, _("Encounter recorded: %(n)d case(s), %(numbers)s.") % {
                "n": len(cases), "numbers": ", ".join(c.a_number for c in cases)})
            flags = cases[0].addresses.first().placeholder_reasons if cases else []
            for code in flags:
                messages.warning(request, str(ADDRESS_PROBLEM_MESSAGES.get(code, code)))
            return redirect(f"/screening/encounters/{encounter.pk}/")
    return _render_encounter(request, form, formset, status=400)


def _member_count(data: Any) -> int:
    try:
        count = int(data.get(f"{MEMBER_PREFIX}-TOTAL_FORMS", "1"))
    except ValueError:
        count = 1
    return max(1, min(count, 20))


def _render_encounter(request: HttpRequest, form: EncounterForm, formset: Any,
                      status: int = 200) -> HttpResponse:
    return render(request, "intake/encounter_form.html",
                  {"form": form, "formset": formset}, status=status)


@login_required
@domain_errors_as_pages
def encounter_detail(request: HttpRequest, encounter_id: int) -> HttpResponse:
    cases = selectors.encounter_cases(request.user, encounter_id)
    return render(request, "intake/encounter_detail.html",
                  {"cases": cases, "encounter": cases[0].person.encounter})


@login_required
@domain_errors_as_pages
def case_detail(request: HttpRequest, a_number: str) -> HttpResponse:
    try:
        canonical = parse_anumber(a_number)
    except DomainError:
        raise Http404 from None
    if canonical != a_number:
        return redirect(f"/intake/cases/{canonical}/")
    return _render_case(request, canonical)


def _render_case(request: HttpRequest, a_number: str, *, address_form: Any = None,
                 contact_form: Any = None, status: int = 200) -> HttpResponse:
    user: Any = request.user
    case = selectors.case_get_for(user, a_number=a_number)
    can_contacts = has(user, Permission.CONTACT_VIEW)
    addresses = selectors.case_addresses(user, case)
    context = {
        "case": case,
        "person": case.person,
        "a_number_display": format_anumber(case.a_number),
        "addresses": [(a, [ADDRESS_PROBLEM_MESSAGES.get(c, c) for c in a.placeholder_reasons])
                      for a in addresses],
        "contacts": selectors.case_contacts(user, case) if can_contacts else None,
        "appearances": selectors.case_appearances(user, case),
        "consents": selectors.case_consents(user, case),
        "history": selectors.case_history(user, case),
        "can_change_address": has(user, Permission.ADDRESS_CHANGE),
        "can_edit_contacts": has(user, Permission.CONTACT_EDIT),
        "can_record_consent": has(user, Permission.CONSENT_RECORD),
        "can_file_appearance": has(user, Permission.APPEARANCE_FILE),
        "is_clerk": user.role == Role.COURT_CLERK,
        "is_rep": user.role == Role.LEGAL_REPRESENTATIVE,
        "address_form": address_form or AddressChangeForm(initial={"city": "Tijuana",
                                                                    "state": "Baja California"}),
        "contact_form": contact_form or ContactForm(),
        "shelters": Shelter.objects.all(),
        "representatives": _representatives() if user.role != Role.LEGAL_REPRESENTATIVE else [],
    }
    return render(request, "intake/case_detail.html", context, status=status)


def _representatives() -> list[Any]:
    from garita.accounts.models import User

    return list(User.objects.filter(role=Role.LEGAL_REPRESENTATIVE, is_active=True)
                .order_by("last_name", "username")[:200])


def _put_errors(form: Any, exc: ValidationFailed, mapping: dict[str, str]) -> None:
    for err in exc.errors:
        name = (err.field or "").split(".")[-1]
        name = mapping.get(name, name)
        form.add_error(name if name in form.fields else None, str(err.message))


@login_required
@require_POST
@domain_errors_as_pages
def case_address(request: HttpRequest, a_number: str) -> HttpResponse:
    # Refuse before reading the form: a role without the permission gets 403, not form errors.
    require(request.user, Permission.ADDRESS_CHANGE)
    form = AddressChangeForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            row = services.address_change(
                actor=request.user, case=a_number,
                address=AddressIn(line1=d["line1"], neighborhood=d["neighborhood"],
                                  city=d["city"], state=d["state"],
                                  postal_code=d["postal_code"]),
                shelter_id=d["shelter"].pk if d["shelter"] else None, moved_on=d["moved_on"])
        except ValidationFailed as exc:
            _put_errors(form, exc, {"shelter_id": "shelter"})
        else:
            messages.success(request, _("New address recorded (EOIR-33)."))
            if row.filed_late:  # type: ignore[attr-defined]
                messages.warning(request, _("Filed more than 5 days after the move."))
            return redirect(f"/intake/cases/{parse_anumber(a_number)}/")
    return _render_case(request, parse_anumber(a_number), address_form=form, status=400)


@login_required
@require_POST
@domain_errors_as_pages
def case_contact(request: HttpRequest, a_number: str) -> HttpResponse:
    require(request.user, Permission.CONTACT_EDIT)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_add(actor=request.user, case=a_number,
                                 kind=form.cleaned_data["kind"], value=form.cleaned_data["value"])
        except ValidationFailed as exc:
            _put_errors(form, exc, {})
        except DomainError as exc:
            form.add_error("value", str(exc.message))
        else:
            messages.success(request, _("Contact added."))
            return redirect(f"/intake/cases/{parse_anumber(a_number)}/")
    return _render_case(request, parse_anumber(a_number), contact_form=form, status=400)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_POST
@domain_errors_as_pages
def case_consent(request: HttpRequest, a_number: str) -> HttpResponse:
    try:
        services.consent_give(
            actor=request.user, case=a_number, grantee_type=request.POST.get("grantee_type", ""),
            shelter_id=_int_or_none(request.POST.get("shelter_id")),
            representative_id=_int_or_none(request.POST.get("representative_id")),
            notes=request.POST.get("notes", ""))
    except DomainError as exc:
        # A refusal is a 403/404 page, not a flash message on a redirect.
        if isinstance(exc, NotFound | PermissionDenied):
            raise
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Consent recorded."))
    return redirect(f"/intake/cases/{parse_anumber(a_number)}/")


def _error_text(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return " ".join(str(e.message) for e in exc.errors)
    return str(exc.message)


@login_required
@require_POST
@domain_errors_as_pages
def consent_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent = services.consent_revoke(actor=request.user, consent_id=consent_id)
    messages.success(request, _("Consent revoked."))
    return redirect(f"/intake/cases/{consent.case.a_number}/")


@login_required
@require_POST
@domain_errors_as_pages
def case_appearance(request: HttpRequest, a_number: str) -> HttpResponse:
    """A clerk records a representative's EOIR-28 on the case."""
    try:
        services.appearance_file(
            actor=request.user, a_number=a_number,
            representative_id=_int_or_none(request.POST.get("representative_id")))
    except DomainError as exc:
        if isinstance(exc, NotFound | PermissionDenied):
            raise
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Appearance (EOIR-28) recorded."))
    return redirect(f"/intake/cases/{parse_anumber(a_number)}/")


@login_required
@domain_errors_as_pages
def appearance_new(request: HttpRequest) -> HttpResponse:
    """A representative files an EOIR-28 with the client's A-number and date of birth."""
    if not has(request.user, Permission.APPEARANCE_FILE):
        raise PermissionDenied()
    form = AppearanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appearance = services.appearance_file(
                actor=request.user, a_number=form.cleaned_data["a_number"],
                date_of_birth=form.cleaned_data["date_of_birth"])
        except NotFound as exc:
            form.add_error(None, str(exc.message))
        except DomainError as exc:
            form.add_error("a_number" if exc.field == "a_number" else None, _error_text(exc))
        else:
            messages.success(request, _("Appearance (EOIR-28) filed."))
            return redirect(f"/intake/cases/{appearance.case.a_number}/")
    return render(request, "intake/appearance_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
@domain_errors_as_pages
def appearance_withdraw(request: HttpRequest, appearance_id: int) -> HttpResponse:
    appearance = services.appearance_withdraw(actor=request.user, appearance_id=appearance_id)
    messages.success(request, _("Appearance withdrawn."))
    if request.user.role == Role.LEGAL_REPRESENTATIVE:  # type: ignore[union-attr]
        return redirect("/intake/")
    return redirect(f"/intake/cases/{appearance.case.a_number}/")
