"""Intake rules as pure functions: case states, names, dates of birth, nationality and
language codes, placeholder addresses, phone numbers and family composition.

No database: every check returns normalised values or DomainErrors with stable codes, so
services can collect every problem of a whole family before writing anything.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
import pycountry
from django.utils.translation import gettext_lazy as _

from garita.core.errors import DomainError
from garita.intake.models import CaseStatus as S

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.ENCOUNTERED: frozenset({S.PENDING_FEAR_INTERVIEW, S.NOT_AMENABLE, S.AMENABLE}),
    # Back from a fear interview: before an NTA to (not) amenable; after one, to where the
    # case was (negative or closed) or off MPP (positive): see status_after_fear_interview.
    S.PENDING_FEAR_INTERVIEW: frozenset(
        {S.NOT_AMENABLE, S.AMENABLE, S.NTA_ISSUED, S.RETURNED_TO_MEXICO, S.IN_PROCEEDINGS,
         S.REMOVED_FROM_MPP}
    ),
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


# A fear claim raised once the person has a Notice to Appear (at the port, on a hearing
# day, while waiting in Mexico) does not undo the NTA: the interview's outcome sends the
# case back to where it was, or off MPP, never to "amenable" as if screening began again.
AFTER_NTA_STATUSES = frozenset({S.NTA_ISSUED, S.RETURNED_TO_MEXICO, S.IN_PROCEEDINGS})


def status_after_fear_interview(status_before: str, outcome: str) -> str:
    """The case status once a fear interview is decided (outcome: positive, negative or
    closed), for a case that waited in pending_fear_interview since status_before.

    Before an NTA: positive -> not_amenable (processed in the US), otherwise amenable.
    After an NTA: positive -> removed_from_mpp (proceedings go on from inside the US),
    negative or closed -> the status the case had when the claim was raised."""
    positive = outcome == "positive"
    if status_before in AFTER_NTA_STATUSES:
        return S.REMOVED_FROM_MPP if positive else status_before
    return S.NOT_AMENABLE if positive else S.AMENABLE


# --- names -------------------------------------------------------------------------------

NAME_MAX_LENGTH = 200
# Apostrophes (straight, typographic, modifier letter), hyphens, spaces and the period of
# an initial ("Ma.") are part of real names; digits, symbols and control characters are not.
_NAME_PUNCTUATION = frozenset("'’ʼ‘`-‐‑.")


def clean_name(raw: object, *, field: str) -> str:
    """The name exactly as given (outer spaces trimmed, runs of spaces collapsed, NFC)."""
    if not isinstance(raw, str):
        raise DomainError("person.name_invalid", _("A name must be text."), field=field)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in raw):
        raise DomainError("person.name_invalid", _("A name cannot contain control characters."),
                          field=field)
    text = unicodedata.normalize("NFC", " ".join(raw.split()))
    if not text:
        raise DomainError("person.name_invalid", _("Enter a name."), field=field)
    if len(text) > NAME_MAX_LENGTH:
        raise DomainError("person.name_invalid", _("This name is too long."), field=field)
    has_letter = False
    for ch in text:
        cat = unicodedata.category(ch)
        if cat.startswith("L"):
            has_letter = True
        elif cat.startswith("M") or ch == " " or ch in _NAME_PUNCTUATION:
            continue
        else:
            raise DomainError(
                "person.name_invalid",
                _("A name may contain letters, spaces, apostrophes and hyphens only."),
                field=field,
            )
    if not has_letter:
        raise DomainError("person.name_invalid", _("A name needs at least one letter."),
                          field=field)
    return text


# --- dates of birth ----------------------------------------------------------------------

OLDEST_AGE = 120
ADULT_AGE = 18


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def date_of_birth_problems(
    date_of_birth: dt.date, *, encounter_date: dt.date, today: dt.date, field: str
) -> list[DomainError]:
    problems: list[DomainError] = []
    if date_of_birth > today:
        problems.append(DomainError("person.dob_future",
                                    _("The date of birth is in the future."), field=field))
    elif date_of_birth > encounter_date:
        problems.append(DomainError("person.dob_after_encounter",
                                    _("The date of birth is after the encounter."), field=field))
    elif age_on(date_of_birth, encounter_date) > OLDEST_AGE:
        problems.append(DomainError("person.dob_implausible",
                                    _("This date of birth is more than 120 years ago."),
                                    field=field))
    return problems


# --- nationality and languages -----------------------------------------------------------

# ICAO 9303 codes used on travel documents for stateless people and refugees.
_EXTRA_NATIONALITIES = {"XXA": "Stateless", "XXB": "Refugee", "XXC": "Refugee (other)"}


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.countries) | frozenset(_EXTRA_NATIONALITIES)


@lru_cache(maxsize=1)
def _language_codes() -> frozenset[str]:
    return frozenset(lang.alpha_3 for lang in pycountry.languages)


def clean_nationality(raw: object, *, field: str) -> str:
    """An ISO 3166-1 alpha-3 code, upper case (`hnd` -> `HND`)."""
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if code not in _country_codes():
        raise DomainError(
            "person.nationality_unknown",
            _("Use a three-letter ISO 3166-1 country code, for example HND or GTM."),
            field=field,
        )
    return code


def country_name(code: str) -> str:
    if code in _EXTRA_NATIONALITIES:
        return _EXTRA_NATIONALITIES[code]
    country = pycountry.countries.get(alpha_3=code)
    return country.name if country else code


def clean_languages(raw: object, *, field: str) -> list[str]:
    """ISO 639-3 codes, lower case, first one primary, duplicates dropped, order kept."""
    if isinstance(raw, str):
        items: list[object] = [p for p in re.split(r"[,;\s]+", raw) if p]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        items = []
    if not items:
        raise DomainError("person.languages_required",
                          _("Enter at least one language the person speaks."), field=field)
    codes: list[str] = []
    for item in items:
        code = item.strip().lower() if isinstance(item, str) else ""
        if code not in _language_codes():
            raise DomainError(
                "person.language_unknown",
                _("“%(code)s” is not an ISO 639-3 language code (for example spa, quc, mam).")
                % {"code": str(item)[:20]},
                field=field,
            )
        if code not in codes:
            codes.append(code)
    return codes


def language_name(code: str) -> str:
    lang = pycountry.languages.get(alpha_3=code)
    return lang.name if lang else code


# --- phone numbers -----------------------------------------------------------------------

DEFAULT_PHONE_REGION = "MX"


def clean_phone(raw: object, *, field: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (`+526641234567`); national numbers are read as Mexican by default."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        raise DomainError("contact.phone_invalid", _("Enter a valid phone number."), field=field)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise DomainError("contact.phone_invalid", _("Enter a valid phone number."),
                          field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError("contact.phone_invalid", _("Enter a valid phone number."), field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- addresses ---------------------------------------------------------------------------

ADDRESS_PROBLEM_MESSAGES = {
    "address.placeholder_social_media": _("A social network is not an address."),
    "address.placeholder_unknown": _("“Known address”, “N/A” and the like are not addresses."),
    "address.city_only": _("Only a city was given: notices cannot reach the person."),
    "address.shelter_unconfirmed": _("The shelter has not confirmed that it takes this person."),
}

_SOCIAL = re.compile(
    r"\b(facebook|face ?book|fb|whats ?app|wasap|guasap|instagram|messenger|"
    r"telegram|tik ?tok|twitter|signal|redes? sociales?|social media)\b"
)
_UNKNOWN = re.compile(
    r"^(domicilio conocido|domicilio|conocido|calle conocida|direccion conocida|"
    r"sin domicilio|sin direccion|sin casa|sin hogar|no tiene|no sabe|ninguno|ninguna|"
    r"desconocido|desconocida|n ?a|n ?d|s ?d|s ?n|na|nd|none|null|unknown|no address|"
    r"homeless|calle|la calle|en la calle|x+|0+|[ ]*)$"
)
_PLACEHOLDER_ANYWHERE = re.compile(
    r"\b(domicilio conocido|calle conocida|direccion conocida|sin domicilio|sin direccion)\b"
)


def _fold(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: for matching only."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return " ".join(re.sub(r"[^\w]+", " ", letters).replace("_", " ").split())


@dataclass(frozen=True)
class AddressIn:
    line1: str = ""
    neighborhood: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = "MEX"


def address_problems(
    address: AddressIn, *, shelter_given: bool = False, shelter_confirmed: bool = True
) -> tuple[str, ...]:
    """Why this address would not reach the person (empty when it looks real).

    A placeholder is flagged, never refused: the person still gets a case, and the flag
    keeps a notice from being "served" to Facebook without anyone noticing.
    """
    problems: list[str] = []
    parts = [address.line1, address.neighborhood, address.city, address.state]
    folded = [_fold(p) for p in parts]
    if any(_SOCIAL.search(f) for f in folded):
        problems.append("address.placeholder_social_media")
    street, hood = folded[0], folded[1]
    if (street and _UNKNOWN.match(street)) or (hood and _UNKNOWN.match(hood)) or any(
        _PLACEHOLDER_ANYWHERE.search(f) for f in folded
    ) or (folded[2] and _UNKNOWN.match(folded[2])):
        problems.append("address.placeholder_unknown")
    real_street = bool(street) and not _UNKNOWN.match(street) and not _SOCIAL.search(street)
    if not real_street and not shelter_given:
        problems.append("address.city_only")
    if shelter_given and not shelter_confirmed:
        problems.append("address.shelter_unconfirmed")
    return tuple(problems)


def address_input_problems(address: AddressIn, *, prefix: str) -> list[DomainError]:
    """Refusals (not flags): a city is required, and lengths are bounded."""
    errors: list[DomainError] = []
    if not address.city.strip():
        errors.append(DomainError("address.city_required", _("Enter the city."),
                                  field=f"{prefix}.city"))
    limits = {"line1": 200, "neighborhood": 120, "city": 100, "state": 100, "postal_code": 12}
    for name, limit in limits.items():
        value = getattr(address, name)
        if len(value) > limit:
            errors.append(DomainError("address.too_long", _("This is too long."),
                                      field=f"{prefix}.{name}"))
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            errors.append(DomainError("address.invalid", _("This contains control characters."),
                                      field=f"{prefix}.{name}"))
    return errors


# --- family composition ------------------------------------------------------------------

FAMILY_TYPES = ("single_adult", "family_unit", "unaccompanied_child")
MAX_FAMILY_SIZE = 20


def family_problems(family_type: str, ages: Sequence[int]) -> list[DomainError]:
    """Does the family type match the members' ages at the encounter?"""
    if family_type not in FAMILY_TYPES:
        return [DomainError("encounter.family_type_invalid",
                            _("Choose single adult, family unit or unaccompanied child."),
                            field="family_type")]
    if not ages:
        return [DomainError("encounter.empty_family",
                            _("Add at least one person to the encounter."), field="members")]
    if len(ages) > MAX_FAMILY_SIZE:
        return [DomainError("encounter.too_many_members",
                            _("An encounter has at most 20 people."), field="members")]
    adults = sum(1 for a in ages if a >= ADULT_AGE)
    minors = len(ages) - adults
    if family_type == "single_adult" and (len(ages) != 1 or adults != 1):
        return [DomainError("encounter.single_adult_mismatch",
                            _("A single adult encounter has exactly one adult."),
                            field="family_type")]
    if family_type == "unaccompanied_child" and (len(ages) != 1 or minors != 1):
        return [DomainError("encounter.unaccompanied_child_mismatch",
                            _("An unaccompanied child encounter has exactly one person under 18."),
                            field="family_type")]
    if family_type == "family_unit" and (adults < 1 or minors < 1):
        return [DomainError("encounter.family_unit_mismatch",
                            _("A family unit has at least one adult and one child under 18."),
                            field="family_type")]
    return []


# --- members -----------------------------------------------------------------------------

SEXES = ("", "F", "M", "X")
RELATIONSHIPS = ("", "head", "spouse", "partner", "child", "parent", "sibling", "grandparent",
                 "grandchild", "aunt_uncle", "niece_nephew", "cousin", "other")


@dataclass(frozen=True)
class MemberIn:
    given_names: str
    surnames: str
    date_of_birth: dt.date | None
    nationality: str
    languages: tuple[str, ...] | list[str] | str = ()
    sex: str = ""
    relationship: str = ""
    is_head: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    """A validated member, ready to store."""

    given_names: str
    surnames: str
    date_of_birth: dt.date
    nationality: str
    languages: tuple[str, ...]
    sex: str
    relationship: str
    is_head: bool
    aliases: tuple[str, ...] = field(default_factory=tuple)


def clean_member(
    raw: MemberIn, *, index: int, encounter_date: dt.date, today: dt.date
) -> tuple[Member | None, list[DomainError]]:
    prefix = f"members.{index}"
    errors: list[DomainError] = []
    cleaned: dict[str, object] = {}

    def attempt(name: str, fn: object) -> None:
        try:
            cleaned[name] = fn()  # type: ignore[operator]
        except DomainError as exc:
            errors.append(exc)

    attempt("given_names", lambda: clean_name(raw.given_names, field=f"{prefix}.given_names"))
    attempt("surnames", lambda: clean_name(raw.surnames, field=f"{prefix}.surnames"))
    attempt("nationality", lambda: clean_nationality(raw.nationality,
                                                     field=f"{prefix}.nationality"))
    attempt("languages", lambda: tuple(clean_languages(raw.languages,
                                                       field=f"{prefix}.languages")))
    attempt("aliases", lambda: tuple(clean_name(a, field=f"{prefix}.aliases")
                                     for a in raw.aliases))
    if not isinstance(raw.date_of_birth, dt.date):
        errors.append(DomainError("person.dob_required", _("Enter the date of birth."),
                                  field=f"{prefix}.date_of_birth"))
    else:
        errors += date_of_birth_problems(raw.date_of_birth, encounter_date=encounter_date,
                                         today=today, field=f"{prefix}.date_of_birth")
    if raw.sex not in SEXES:
        errors.append(DomainError("person.sex_invalid", _("Choose F, M, X or leave it empty."),
                                  field=f"{prefix}.sex"))
    if raw.relationship not in RELATIONSHIPS:
        errors.append(DomainError("person.relationship_invalid", _("Choose a relationship."),
                                  field=f"{prefix}.relationship"))
    if errors:
        return None, errors
    return Member(
        given_names=cleaned["given_names"],  # type: ignore[arg-type]
        surnames=cleaned["surnames"],  # type: ignore[arg-type]
        date_of_birth=raw.date_of_birth,  # type: ignore[arg-type]
        nationality=cleaned["nationality"],  # type: ignore[arg-type]
        languages=cleaned["languages"],  # type: ignore[arg-type]
        sex=raw.sex,
        relationship=raw.relationship,
        is_head=bool(raw.is_head),
        aliases=cleaned["aliases"],  # type: ignore[arg-type]
    ), []


def choose_head(members: Iterable[Member], family_type: str) -> int:
    """Index of the head of the family: the one marked, else the oldest."""
    items = list(members)
    for i, m in enumerate(items):
        if m.is_head:
            return i
    return min(range(len(items)), key=lambda i: items[i].date_of_birth) if items else 0


# --- address changes (EOIR-33) -----------------------------------------------------------

ADDRESS_CHANGE_DAYS = 5


def address_change_is_late(moved_on: dt.date | None, filed_on: dt.date) -> bool:
    """EOIR-33 must be filed within 5 days of moving; late filings are noted, not refused."""
    return moved_on is not None and (filed_on - moved_on).days > ADDRESS_CHANGE_DAYS
