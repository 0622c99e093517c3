"""Forms for the screening pages: one per person, asking every question explicitly.

Fear of return has no default: the officer must record whether the person volunteered fear,
said yes when asked, or said no when asked (CBP did not ask; Garita does).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from garita.screening.models import FearStatus

FLAG_LABELS = {
    "processed_for_expedited_removal": _("Already processed for expedited removal"),
    "returning_lpr": _("Returning lawful permanent resident"),
    "parole": _("Has advance parole or is in parole status"),
    "known_health_issue": _("Known physical or mental health issue"),
    "criminal_history": _("Criminal record or history of violence"),
    "government_interest": _("Of interest to the Government of Mexico or the US"),
    "pregnant": _("Pregnant"),
}

FEAR_CHOICES = [
    ("none", _("Asked: says they are not afraid of returning to Mexico")),
    ("asked", _("Asked: says they are afraid of returning to Mexico")),
    ("volunteered", _("Said on their own that they are afraid of returning to Mexico")),
]


class PersonScreeningForm(forms.Form):
    fear_of_return = forms.ChoiceField(
        label=_("Are you afraid of being returned to Mexico? (ask every person)"),
        choices=FEAR_CHOICES, widget=forms.RadioSelect,
        error_messages={"required": _("Ask this person about fear of return and record "
                                      "the answer.")},
    )
    port_director_exclusion = forms.CharField(
        label=_("Port Director exclusion: written reason (leave empty if none)"),
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
    )

    def __init__(self, *args: Any, can_exclude: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in FLAG_LABELS.items():
            self.fields[key] = forms.BooleanField(label=label, required=False)
        if not can_exclude:
            del self.fields["port_director_exclusion"]
        # Flags first, then fear, then discretion: the order an officer goes through.
        order = [*FLAG_LABELS, "fear_of_return", "port_director_exclusion"]
        self.order_fields(order)

    def flag_fields(self) -> list[forms.BoundField]:
        return [self[k] for k in FLAG_LABELS]


class FearInterviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(FearStatus.POSITIVE.value, FearStatus.POSITIVE.label),
                 (FearStatus.NEGATIVE.value, FearStatus.NEGATIVE.label),
                 (FearStatus.CLOSED.value, FearStatus.CLOSED.label)],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class FearClaimForm(forms.Form):
    how = forms.ChoiceField(
        label=_("How did the person express fear of return to Mexico?"),
        choices=[("volunteered", _("Said on their own that they are afraid of returning to "
                                   "Mexico")),
                 ("asked", _("Asked: says they are afraid of returning to Mexico"))],
        widget=forms.RadioSelect,
    )
