"""Hotline data: the languages of the phone menu, recorded prompts, and look-up throttles.

Languages are data (a digit, a text language for gettext, a voice for <Say>); a recording
for a prompt and language replaces the spoken text. Throttle rows live in the database so
every app server agrees; their keys are HMAC digests, never raw phone numbers or A-numbers.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Prompts that may be recorded (a recording is played instead of <Say>).
PROMPT_KEYS = [
    ("welcome", _("Welcome")),
    ("menu_option", _("Language menu option")),
    ("enter_anumber", _("Enter the A-number")),
    ("enter_pin", _("Enter the PIN")),
    ("invalid_anumber", _("Not a valid A-number")),
    ("invalid_pin", _("Not a valid PIN")),
    ("lookup_failed", _("No case for that A-number and PIN")),
    ("locked", _("Too many tries")),
    ("repeat_offer", _("Press 1 to repeat")),
    ("no_input", _("Nothing was entered")),
    ("goodbye", _("Goodbye")),
    ("error", _("Something went wrong")),
    ("answer_intro", _("Here is the information on your case")),
]


class HotlineLanguage(models.Model):
    digit = models.CharField(_("menu digit"), max_length=1, unique=True)
    code = models.CharField(_("language code"), max_length=16, unique=True,
                            help_text=_("e.g. es, pt, ht, quc (K'iche'), mam (Mam)."))
    name = models.CharField(_("name in the language itself"), max_length=64)
    text_language = models.CharField(
        _("text language"), max_length=8, default="es",
        help_text=_("Language of the written prompts spoken when no recording exists."),
    )
    voice_language = models.CharField(
        _("voice language"), max_length=16, default="es-MX",
        help_text=_("Language attribute of Twilio <Say>, e.g. es-MX, pt-BR, fr-FR."),
    )
    voice = models.CharField(_("voice"), max_length=64, blank=True,
                             help_text=_("Optional Twilio voice name, e.g. Polly.Mia."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["digit"]
        verbose_name = _("hotline language")

    def __str__(self) -> str:
        return f"{self.digit} {self.name}"


class PromptRecording(models.Model):
    language = models.ForeignKey(HotlineLanguage, on_delete=models.CASCADE,
                                 related_name="recordings", verbose_name=_("language"))
    prompt = models.CharField(_("prompt"), max_length=40,
                              help_text=_("A prompt key, or answer.<statement> for a statement."))
    audio = models.FileField(_("audio file"), upload_to="hotline/prompts/", blank=True)
    audio_url = models.URLField(_("audio URL"), blank=True,
                                help_text=_("Instead of a file: a public https URL."))
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "prompt"], name="one_recording_per_prompt")
        ]
        verbose_name = _("prompt recording")

    def __str__(self) -> str:
        return f"{self.language_id}:{self.prompt}"


class ThrottleScope(models.TextChoices):
    CALLER = "caller", _("Caller number")
    IP = "ip", _("IP address")
    ANUMBER = "anumber", _("A-number")


class LookupThrottle(models.Model):
    scope = models.CharField(max_length=8, choices=ThrottleScope.choices)
    key_digest = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_digest"], name="one_throttle_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key_digest[:12]}"
