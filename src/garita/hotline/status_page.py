"""The public /status page, built by hand instead of by the template engine.

The page is served on every web look-up, so it is cheap to render: everything that only
depends on the language (the frame, the labels, the hints, the error messages, the language
switch) is translated, escaped and joined ONCE per process and language (`fixed_parts`);
a request only escapes its own values (the masked A-number, the statement lines, the court,
the addresses, the map links, the providers, the CSRF token, the submitted A-number) and
joins the strings.

Every text goes through gettext in the page's language, with the msgids the template had,
so the catalogues under hotline/locale keep working and `make messages` keeps finding
them. Every value is escaped with the standard library's html.escape, which produces
exactly what django.utils.html.escape (the template's auto-escaping) does, without its
lazy-string wrapper; nothing here is trusted as already safe.

The page works without JavaScript: two plain forms (language switch, look-up), each with
the CSRF token.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from threading import Lock
from types import SimpleNamespace

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from garita.hotline.domain import HearingSnapshot, LegalProvider

# The error codes the view hands in, one message each (msgids shared with api.py/render.py).
ERROR_CODES = ("locked", "bad_anumber", "bad_pin", "failed")


@dataclass(frozen=True)
class Answer:
    """What a successful look-up shows (never a name or a nationality)."""

    masked_anumber: str
    lines: list[str]
    hearing: HearingSnapshot | None = None
    map_link: str = ""
    report_map_link: str = ""
    providers: tuple[LegalProvider, ...] = ()


@dataclass(frozen=True)
class _Fixed:
    """The page's language-dependent parts, already translated and escaped."""

    head: str  # from <!doctype> to the language form's opening tag
    header_rest: str  # after the language form's token, to the <h1>
    foot: str  # </section> to the end
    case_label: str  # "Case %(anumber)s", to be filled with the escaped masked A-number
    where_heading: str
    court_label: str
    address_label: str
    report_label: str
    map_link_text: str
    providers_heading: str
    another_case: str  # the "Look up another case" paragraph
    intro: str
    errors: dict[str, str]  # error code -> the whole alert paragraph
    form_open: str  # the look-up form's opening tag
    form_anumber: str  # after the token, up to the A-number's value attribute
    form_rest: str  # after the A-number's value, to the end of the hint


_fixed: dict[str, _Fixed] = {}
_fixed_lock = Lock()


def esc(value: object) -> str:
    return html.escape(str(value))


def linebreaks_br(text: str) -> str:
    """The template filter `linebreaksbr`: escape, then one <br> per line break (CR LF, CR
    or LF, as django.utils.text.normalize_newlines counts them)."""
    return esc(str(text).replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")


def csrf_input(token: str) -> str:
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(token)}">'


def _language_options(language: str) -> str:
    from django.conf import settings

    options = []
    for code, _name in settings.LANGUAGES:
        name = translation.get_language_info(code)["name_local"]
        selected = " selected" if code == language else ""
        options.append(f'<option value="{esc(code)}"{selected}>{esc(name)}</option>')
    return "".join(options)


def _texts() -> SimpleNamespace:
    """The page's texts in the active language, escaped. The msgids are the template's
    (and api.py's for the alerts); the gettext calls stay outside f-strings, where
    xgettext (`make messages`) would not see them."""
    texts = {
        "title": _("Case status"),
        "language": _("Language"),
        "change": pgettext("language switch", "Change"),
        "case_label": _("Case %(anumber)s"),
        "where": _("Where to go"),
        "court": _("Court"),
        "address": _("Address"),
        "report": _("Report at the port"),
        "map": _("Open the map"),
        "providers": _("Free legal help"),
        "another": _("Look up another case"),
        "intro": _("Enter the A-number and the PIN printed on your notice. "
                   "We never show names."),
        "a_number": _("A-number"),
        "pin": _("PIN"),
        "look_up": _("Look up"),
        "hint": _("You can also send STATUS, your A-number and your PIN by SMS."),
        "locked": _("There have been too many attempts. Please try again later."),
        "bad_anumber": _("An A-number has 8 or 9 digits, for example A234567890."),
        "bad_pin": _("The PIN has 6 digits. It is printed on your notice."),
        "failed": _("We could not find a case with that A-number and PIN."),
    }
    return SimpleNamespace(**{key: esc(text) for key, text in texts.items()})


def _build_fixed(language: str) -> _Fixed:
    from django.templatetags.static import static
    from django.urls import reverse

    import garita

    status_url = esc(reverse("hotline-public:status"))
    with translation.override(language):
        t = _texts()
        options = _language_options(language)
    head = (
        f'<!doctype html>\n<html lang="{esc(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{t.title} · Garita</title>\n"
        f'<link rel="stylesheet" href="{esc(static("garita/garita.css"))}">\n'
        f'<link rel="stylesheet" href="{esc(static("hotline/status.css"))}">'
        '<meta name="robots" content="noindex">\n</head>\n<body>\n'
        '<header class="top">\n'
        f'  <a class="brand" href="{esc(reverse("core:home"))}">Garita</a>\n'
        f'  <form action="{esc(reverse("set_language"))}" method="post" class="lang">'
    )
    header_rest = (
        f'\n    <input name="next" type="hidden" value="{status_url}">\n'
        f'    <select name="language" aria-label="{t.language}">\n'
        f"      {options}\n    </select>\n"
        f'    <button type="submit">{t.change}</button>\n  </form>\n</header>\n'
        f'<main>\n<section class="hotline-status">\n<h1>{t.title}</h1>\n'
    )
    return _Fixed(
        head=head,
        header_rest=header_rest,
        foot=("</section>\n</main>\n"
              f"<footer><small>Garita {esc(garita.__version__)}</small></footer>\n"
              "</body>\n</html>\n"),
        case_label=t.case_label,
        where_heading=t.where,
        court_label=t.court,
        address_label=t.address,
        report_label=t.report,
        map_link_text=t.map,
        providers_heading=t.providers,
        another_case=f'  <p><a href="{status_url}">{t.another}</a></p>\n',
        intro=f"  <p>{t.intro}</p>\n",
        errors={code: f'  <p class="error" role="alert">{getattr(t, code)}</p>\n'
                for code in ERROR_CODES},
        form_open=(f'  <form method="post" action="{status_url}" class="lookup" '
                   'autocomplete="off">'),
        form_anumber=(
            f'\n    <label for="id_a_number">{t.a_number}</label>\n'
            '    <input id="id_a_number" name="a_number" inputmode="numeric" '
            'maxlength="20" required value="'
        ),
        form_rest=(
            '" placeholder="A234567890">\n'
            f'    <label for="id_pin">{t.pin}</label>\n'
            '    <input id="id_pin" name="pin" type="password" inputmode="numeric" '
            'maxlength="12" required placeholder="123456">\n'
            f'    <button type="submit">{t.look_up}</button>\n  </form>\n'
            f'  <p class="hint">{t.hint}</p>\n'
        ),
    )


def fixed_parts(language: str) -> _Fixed:
    """The language's fixed parts, built on first use and kept for the process."""
    parts = _fixed.get(language)
    if parts is None:
        with _fixed_lock:
            parts = _fixed.get(language)
            if parts is None:
                parts = _fixed[language] = _build_fixed(language)
    return parts


@receiver(setting_changed)
def clear_cache(**_kwargs: object) -> None:
    """Forget the built parts when a setting changes (tests: URLs, static files, languages)."""
    _fixed.clear()


# ---------------------------------------------------------------- per request


def _address(name: str, address: str) -> str:
    return f"<address>{esc(name)}<br>{linebreaks_br(address)}</address>"


def _map_link(f: _Fixed, url: str) -> str:
    return f'\n      <a href="{esc(url)}" rel="noopener noreferrer">{f.map_link_text}</a></dd>\n'


def _where(f: _Fixed, answer: Answer) -> str:
    h = answer.hearing
    if h is None:
        return ""
    out = [
        f'  <h2>{f.where_heading}</h2>\n  <dl class="where">\n',
        f"    <dt>{f.court_label}</dt><dd>{esc(h.court_name)}</dd>\n",
        f"    <dt>{f.address_label}</dt><dd>{_address(h.place_name, h.place_address)}",
        _map_link(f, answer.map_link),
    ]
    if h.report_at:
        out += [
            f"    <dt>{f.report_label}</dt><dd>"
            f"{_address(h.report_port_name, h.report_port_address)}",
            _map_link(f, answer.report_map_link),
        ]
    out.append("  </dl>\n")
    return "".join(out)


def _provider(p: LegalProvider) -> str:
    phone = f' · <a href="tel:{esc(p.phone)}">{esc(p.phone)}</a>' if p.phone else ""
    address = f"<br>{esc(p.address)}" if p.address else ""
    return f"<li><strong>{esc(p.name)}</strong>{phone}{address}</li>"


def _providers(f: _Fixed, providers: tuple[LegalProvider, ...]) -> str:
    if not providers:
        return ""
    items = "".join(_provider(p) for p in providers)
    return f'  <h2>{f.providers_heading}</h2>\n  <ul class="providers">\n  {items}\n  </ul>\n'


def _answer(f: _Fixed, answer: Answer) -> str:
    label = f.case_label % {"anumber": esc(answer.masked_anumber)}
    items = "".join(f"<li>{esc(line)}</li>" for line in answer.lines)
    return (f'  <p class="case-label">{label}</p>\n'
            f'  <ul class="statements">\n  {items}\n  </ul>\n'
            f"{_where(f, answer)}{_providers(f, answer.providers)}{f.another_case}")


def _lookup_form(f: _Fixed, token_input: str, a_number: str, error: str) -> str:
    alert = f.errors.get(error, f.errors["failed"]) if error else ""
    return (f"{f.intro}{alert}{f.form_open}{token_input}"
            f"{f.form_anumber}{esc(a_number)}{f.form_rest}")


def render_page(*, language: str, csrf_token: str, a_number: str = "", error: str = "",
                answer: Answer | None = None) -> str:
    """The whole page: the answer if there is one, else the form (with the error, if any)."""
    f = fixed_parts(language)
    token_input = csrf_input(csrf_token)
    body = (_answer(f, answer) if answer is not None
            else _lookup_form(f, token_input, a_number, error))
    return f"{f.head}{token_input}{f.header_rest}{body}{f.foot}"
