"""JSON API for intake (mounted at /api/v1/intake/): parse, call one service, return.

Schemas reject wrong JSON types with 422 `request.invalid`; rules are refused by the
services with stable codes. Every case read is scoped to the caller (no A-number walking).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import model_validator

from garita.intake import selectors, services
from garita.intake.anumber import format_anumber
from garita.intake.domain import AddressIn, MemberIn
from garita.intake.models import Address, Appearance, Case, Consent, ContactPoint

router = Router()


# --- schemas -----------------------------------------------------------------------------


class StrictSchema(Schema):
    """A JSON object only: ninja's Schema would otherwise read a list or a string as {}."""

    @model_validator(mode="before")
    @classmethod
    def _object_only(cls, data: Any) -> Any:
        if not isinstance(getattr(data, "_obj", data), dict):
            raise ValueError("must be a JSON object")
        return data


class MemberSchema(StrictSchema):
    given_names: str = Field(max_length=400)
    surnames: str = Field(max_length=400)
    date_of_birth: dt.date
    nationality: str = Field(max_length=8)
    languages: list[str] = Field(max_length=10)
    sex: str = ""
    relationship: str = ""
    is_head: bool = False
    aliases: list[str] = Field(default_factory=list, max_length=10)


class AddressSchema(StrictSchema):
    line1: str = ""
    neighborhood: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = "MEX"


class ContactSchema(StrictSchema):
    kind: str = "phone"
    value: str
    consent_sms: bool = True
    consent_voice: bool = True


class EncounterIn(StrictSchema):
    port: str | None = None
    occurred_at: dt.datetime | None = None
    family_type: str
    members: list[MemberSchema] = Field(max_length=50)
    address: AddressSchema
    contacts: list[ContactSchema] = Field(default_factory=list, max_length=10)
    shelter_id: int | None = None
    notes: str = ""


class AddressChangeIn(StrictSchema):
    address: AddressSchema
    shelter_id: int | None = None
    moved_on: dt.date | None = None


class AppearanceIn(StrictSchema):
    representative_id: int | None = None
    date_of_birth: dt.date | None = None


class ConsentIn(StrictSchema):
    grantee_type: str
    shelter_id: int | None = None
    representative_id: int | None = None
    notes: str = ""


# --- output ------------------------------------------------------------------------------


def _address_out(a: Address) -> dict[str, Any]:
    return {
        "id": a.pk, "line1": a.line1, "neighborhood": a.neighborhood, "city": a.city,
        "state": a.state, "country": a.country, "postal_code": a.postal_code,
        "shelter": a.shelter.name if a.shelter is not None else None,
        "is_placeholder": a.is_placeholder, "placeholder_reasons": a.placeholder_reasons,
        "given_at": a.given_at,
    }


def _case_summary(case: Case) -> dict[str, Any]:
    p = case.person
    return {
        "a_number": case.a_number,
        "a_number_display": format_anumber(case.a_number),
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "port": case.port.slug,
        "encounter_id": p.encounter_id,
        "person": {
            "given_names": p.given_names, "surnames": p.surnames,
            "date_of_birth": p.date_of_birth, "nationality": p.nationality,
            "languages": p.languages, "sex": p.sex, "relationship": p.relationship,
            "is_head": p.is_head,
        },
        "links": {
            "self": f"/api/v1/intake/cases/{case.a_number}",
            "page": f"/intake/cases/{case.a_number}/",
            "screening": f"/screening/cases/{case.a_number}/",
            "hearings": f"/hearings/cases/{case.a_number}/",
        },
    }


def _case_detail(actor: Any, case: Case) -> dict[str, Any]:
    out = _case_summary(case)
    out["addresses"] = [_address_out(a) for a in selectors.case_addresses(actor, case)]
    out["appearances"] = [_appearance_out(a) for a in selectors.case_appearances(actor, case)]
    out["consents"] = [_consent_out(c) for c in selectors.case_consents(actor, case)]
    return out


def _appearance_out(a: Appearance) -> dict[str, Any]:
    return {"id": a.pk, "a_number": a.case.a_number, "representative_id": a.representative_id,
            "representative": a.representative.get_full_name() or a.representative.username,
            "filed_at": a.filed_at, "withdrawn_at": a.withdrawn_at}


def _consent_out(c: Consent) -> dict[str, Any]:
    return {"id": c.pk, "grantee_type": c.grantee_type,
            "shelter": c.shelter.name if c.shelter is not None else None,
            "representative_id": c.representative_id, "given_at": c.given_at,
            "revoked_at": c.revoked_at}


def _contact_out(c: ContactPoint) -> dict[str, Any]:
    return {"id": c.pk, "kind": c.kind, "value": c.value, "consent_sms": c.consent_sms,
            "consent_voice": c.consent_voice, "opted_out_at": c.opted_out_at}


# --- endpoints ---------------------------------------------------------------------------


@router.post("/encounters", response={201: dict})
def encounter_create(request: HttpRequest, payload: EncounterIn) -> Status[dict[str, Any]]:
    """Record one encounter: a whole family in one request, each member gets a case."""
    user: Any = request.user
    port = payload.port or (user.port.slug if getattr(user, "port_id", None) else "san-ysidro")
    encounter = services.encounter_record(
        actor=user, port_slug=port, occurred_at=payload.occurred_at or timezone.now(),
        family_type=payload.family_type,
        members=[MemberIn(**{**m.dict(), "languages": tuple(m.languages),
                             "aliases": tuple(m.aliases)}) for m in payload.members],
        address=AddressIn(**payload.address.dict()),
        contacts=[c.dict() for c in payload.contacts],
        shelter_id=payload.shelter_id, notes=payload.notes,
    )
    cases = encounter.created_cases  # type: ignore[attr-defined]
    return Status(201, {
        "encounter_id": encounter.pk,
        "cases": [_case_summary(c) for c in cases],
        "address_flags": cases[0].addresses.first().placeholder_reasons if cases else [],
        "next": f"/screening/encounters/{encounter.pk}/",
    })


@router.get("/cases", response=dict)
def case_list(request: HttpRequest, q: str = "", status: str = "", page: int = 1,
              per_page: int = 25) -> dict[str, Any]:
    """Cases visible to the caller, newest first; `q` is an A-number or words of a name."""
    result = selectors.case_search(request.user, q=q, status=status, page=page,
                                   per_page=per_page)
    return {"items": [_case_summary(c) for c in result.items], "page": result.page,
            "per_page": result.per_page, "total": result.total, "pages": result.pages}


@router.get("/cases/{a_number}", response=dict)
def case_get(request: HttpRequest, a_number: str) -> dict[str, Any]:
    """One case, in any A-number spelling; 404 `case.not_found` when not visible."""
    case = selectors.case_get_for(request.user, a_number=a_number)
    return _case_detail(request.user, case)


@router.get("/cases/{a_number}/contacts", response=dict)
def case_contacts(request: HttpRequest, a_number: str) -> dict[str, Any]:
    """Contact details (protected; the read is audited)."""
    case = selectors.case_get_for(request.user, a_number=a_number)
    return {"items": [_contact_out(c) for c in selectors.case_contacts(request.user, case)]}


@router.post("/cases/{a_number}/contacts", response={201: dict})
def contact_create(request: HttpRequest, a_number: str,
                   payload: ContactSchema) -> Status[dict[str, Any]]:
    row = services.contact_add(actor=request.user, case=a_number, kind=payload.kind,
                               value=payload.value, consent_sms=payload.consent_sms,
                               consent_voice=payload.consent_voice)
    return Status(201, _contact_out(row))


@router.post("/cases/{a_number}/address", response={201: dict})
def address_change(request: HttpRequest, a_number: str,
                   payload: AddressChangeIn) -> Status[dict[str, Any]]:
    """File a change of address (EOIR-33)."""
    row = services.address_change(actor=request.user, case=a_number,
                                  address=AddressIn(**payload.address.dict()),
                                  shelter_id=payload.shelter_id, moved_on=payload.moved_on)
    return Status(201, {**_address_out(row),
                        "filed_late": row.filed_late})  # type: ignore[attr-defined]


@router.post("/cases/{a_number}/appearances", response={201: dict})
def appearance_create(request: HttpRequest, a_number: str,
                      payload: AppearanceIn) -> Status[dict[str, Any]]:
    """File a notice of appearance (EOIR-28)."""
    row = services.appearance_file(actor=request.user, a_number=a_number,
                                   representative_id=payload.representative_id,
                                   date_of_birth=payload.date_of_birth)
    return Status(201, _appearance_out(row))


@router.post("/appearances/{appearance_id}/withdraw", response=dict)
def appearance_withdraw(request: HttpRequest, appearance_id: int) -> dict[str, Any]:
    return _appearance_out(services.appearance_withdraw(actor=request.user,
                                                        appearance_id=appearance_id))


@router.post("/cases/{a_number}/consents", response={201: dict})
def consent_create(request: HttpRequest, a_number: str,
                   payload: ConsentIn) -> Status[dict[str, Any]]:
    """Record written consent to share the case with a shelter or a representative."""
    row = services.consent_give(actor=request.user, case=a_number,
                                grantee_type=payload.grantee_type,
                                shelter_id=payload.shelter_id,
                                representative_id=payload.representative_id,
                                notes=payload.notes)
    return Status(201, _consent_out(row))


@router.post("/consents/{consent_id}/revoke", response=dict)
def consent_revoke(request: HttpRequest, consent_id: int) -> dict[str, Any]:
    return _consent_out(services.consent_revoke(actor=request.user, consent_id=consent_id))
