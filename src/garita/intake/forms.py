"""Forms of the intake pages: only the shape of the input (types, choices).

The rules (names, dates, codes, family composition, placeholder addresses) live in
intake.domain and come back from the services as field errors, mapped onto these forms.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pycountry
from django import forms
from django.utils.translation import gettext_lazy as _

from garita.intake.models import ContactKind, FamilyType, Shelter

# The nationalities MPP met most often come first in the menu.
COMMON_NATIONALITIES = ("HND", "GTM", "SLV", "CUB", "VEN", "NIC", "ECU", "BRA", "HTI", "COL",
                        "PER")
COMMON_LANGUAGES = (
    ("spa", _("Spanish")), ("por", _("Portuguese")), ("hat", _("Haitian Creole")),
    ("quc", _("K'iche'")), ("mam", _("Mam")), ("kjb", _("Q'anjob'al")), ("cak", _("Kaqchikel")),
    ("kek", _("Q'eqchi'")), ("miq", _("Miskito")), ("cab", _("Garifuna")),
    ("eng", _("English")), ("fra", _("French")),
)
SEX_CHOICES = (("", "—"), ("F", _("Female")), ("M", _("Male")), ("X", _("Another or not said")))
RELATIONSHIP_CHOICES = (
    ("", "—"), ("head", _("Head of family")), ("spouse", _("Spouse")),
    ("partner", _("Partner")), ("child", _("Child")), ("parent", _("Parent")),
    ("sibling", _("Sibling")), ("grandparent", _("Grandparent")),
    ("grandchild", _("Grandchild")), ("aunt_uncle", _("Aunt or uncle")),
    ("niece_nephew", _("Niece or nephew")), ("cousin", _("Cousin")), ("other", _("Other")),
)


@lru_cache(maxsize=1)
def nationality_choices() -> tuple[tuple[str, str], ...]:
    names = {c.alpha_3: c.name for c in pycountry.countries}
    common = [(code, f"{names[code]} ({code})") for code in COMMON_NATIONALITIES]
    rest = sorted(((code, f"{name} ({code})") for code, name in names.items()
                   if code not in COMMON_NATIONALITIES), key=lambda x: x[1])
    return (("", "—"), *common, ("XXA", "Stateless (XXA)"), *rest)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EncounterForm(forms.Form):
    port = forms.ChoiceField(label=_("Port of entry"))
    occurred_at = forms.DateTimeField(
        label=_("Date and time of the encounter"), widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    family_type = forms.ChoiceField(label=_("Family type"), choices=FamilyType.choices)
    shelter = forms.ModelChoiceField(label=_("Shelter where they will stay"), required=False,
                                     queryset=Shelter.objects.all(), empty_label="—")
    line1 = forms.CharField(label=_("Street and number"), required=False, max_length=200)
    neighborhood = forms.CharField(label=_("Neighborhood (colonia)"), required=False,
                                   max_length=120)
    city = forms.CharField(label=_("City"), max_length=100, initial="Tijuana")
    state = forms.CharField(label=_("State"), required=False, max_length=100,
                            initial="Baja California")
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=12)
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=40,
                            help_text=_("A Mexican number such as 664 123 4567, or +country code."))
    phone_is_whatsapp = forms.BooleanField(label=_("This number also has WhatsApp"),
                                           required=False)
    email = forms.CharField(label=_("Email"), required=False, max_length=254)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, ports: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        port = self.fields["port"]
        assert isinstance(port, forms.ChoiceField)  # declared above
        port.choices = ports

    def contacts(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The contact points typed, and for each the form field it came from."""
        data = self.cleaned_data
        contacts: list[dict[str, Any]] = []
        fields: list[str] = []
        if data.get("phone"):
            contacts.append({"kind": ContactKind.PHONE, "value": data["phone"]})
            fields.append("phone")
            if data.get("phone_is_whatsapp"):
                contacts.append({"kind": ContactKind.WHATSAPP, "value": data["phone"]})
                fields.append("phone")
        if data.get("email"):
            contacts.append({"kind": ContactKind.EMAIL, "value": data["email"]})
            fields.append("email")
        return contacts, fields


class MemberForm(forms.Form):
    given_names = forms.CharField(label=_("Given names"), max_length=400)
    surnames = forms.CharField(label=_("Surnames"), max_length=400)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES, required=False)
    nationality = forms.ChoiceField(label=_("Nationality"))
    primary_language = forms.ChoiceField(label=_("Main language"),
                                         choices=(("", "—"), *COMMON_LANGUAGES))
    other_languages = forms.CharField(
        label=_("Other languages (ISO 639-3 codes)"), required=False, max_length=100,
        help_text=_("Codes separated by commas, for example: spa, quc"),
    )
    relationship = forms.ChoiceField(label=_("Relationship"), choices=RELATIONSHIP_CHOICES,
                                     required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nationality = self.fields["nationality"]
        assert isinstance(nationality, forms.ChoiceField)  # declared above
        nationality.choices = nationality_choices()

    def languages(self) -> list[str]:
        first = self.cleaned_data.get("primary_language") or ""
        rest = [p for p in (self.cleaned_data.get("other_languages") or "")
                .replace(";", ",").replace(" ", ",").split(",") if p]
        return [first, *rest] if first else rest


MemberFormSet = forms.formset_factory(MemberForm, extra=0, max_num=20, absolute_max=20)


class AddressChangeForm(forms.Form):
    shelter = forms.ModelChoiceField(label=_("Shelter"), required=False,
                                     queryset=Shelter.objects.all(), empty_label="—")
    line1 = forms.CharField(label=_("Street and number"), required=False, max_length=200)
    neighborhood = forms.CharField(label=_("Neighborhood (colonia)"), required=False,
                                   max_length=120)
    city = forms.CharField(label=_("City"), max_length=100)
    state = forms.CharField(label=_("State"), required=False, max_length=100)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=12)
    moved_on = forms.DateField(label=_("Date of the move"), required=False, widget=DateInput())


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    value = forms.CharField(label=_("Number or address"), max_length=254)


class AppearanceForm(forms.Form):
    a_number = forms.CharField(label=_("A-number"), max_length=20)
    date_of_birth = forms.DateField(label=_("Client's date of birth"), widget=DateInput())
