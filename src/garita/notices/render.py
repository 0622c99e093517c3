"""PDF rendering of the Notice to Appear, the notice of hearing and the tear sheet (fpdf2).

Uses the DejaVu Sans files committed beside this module, so every accent of Spanish,
Portuguese and Haitian Creole prints on a machine without system fonts. Pure: content in,
bytes out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from garita.notices.tearsheet_text import TEAR_SHEET, sheet_language

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


def format_local(iso: str | None, tz_name: str) -> str:
    """`2019-05-14 03:30 PDT (UTC-07:00)`: unambiguous in every language."""
    if not iso:
        return ""
    from garita.hearings.domain import zone

    value = dt.datetime.fromisoformat(iso).astimezone(zone(tz_name))
    off = value.strftime("%z")
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()} (UTC{off[:3]}:{off[3:]})"


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(format="Letter")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(18, 15, 18)
        self.add_page()

    def heading1(self, text: str, sub: str = "") -> None:
        self.set_font(FONT, "B", 15)
        self.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        if sub:
            self.set_font(FONT, "", 10)
            self.multi_cell(0, 5, sub, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    def para(self, text: str, size: int = 10) -> None:
        self.set_font(FONT, "", size)
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    def field(self, label: str, value: str) -> None:
        self.set_font(FONT, "B", 10)
        self.multi_cell(0, 5, f"{label}: ", new_x="END", new_y="LAST")
        self.set_font(FONT, "", 10)
        self.multi_cell(0, 5, value or "—", new_x="LMARGIN", new_y="NEXT")

    def bytes(self) -> bytes:
        return bytes(self.output())


def _person_block(doc: _Doc, c: dict[str, Any]) -> None:
    doc.field(_("Name"), c.get("name", ""))
    doc.field(_("Other names used (aliases)"), ", ".join(c.get("aliases") or []))
    doc.field(_("A-number"), c.get("a_number", ""))
    doc.field(_("Nationality"), c.get("nationality", ""))
    doc.field(_("Language understood"), c.get("language_name", ""))
    doc.field(_("Address given"), c.get("address", ""))


def _time_and_place(doc: _Doc, c: dict[str, Any]) -> None:
    doc.heading(_("Time and place of your hearing"))
    doc.para(_("You are ordered to appear before an immigration judge of the United States "
               "Department of Justice at:"))
    doc.field(_("Place"), f"{c.get('location_name', '')}, {c.get('location_address', '')}")
    doc.field(_("Date and time"), format_local(c.get("hearing_at"), c.get("tz", "UTC")))
    if c.get("video_from"):
        doc.para(_("The judge will take part by video from the %(court)s.")
                 % {"court": c["video_from"]})
    if c.get("report_at"):
        doc.field(_("Report to the port of entry"),
                  f"{c.get('port_name', '')}, {c.get('port_address', '')}")
        doc.field(_("Report time"), format_local(c.get("report_at"), c.get("port_tz", "UTC")))


def _consequences(doc: _Doc) -> None:
    doc.heading(_("Failure to appear"))
    doc.para(_("If you do not attend your hearing at the time and place above, the immigration "
               "judge may order you removed from the United States in your absence (section "
               "240(b)(5) of the Immigration and Nationality Act), and you will not be able to "
               "apply for certain forms of relief for 10 years."))


def _address_duty(doc: _Doc) -> None:
    doc.heading(_("Your address and phone number"))
    doc.para(_("You must give the immigration court an address and a phone number where you "
               "can be reached, and tell the court in writing of every change within 5 days, "
               "on form EOIR-33. Notices are sent to the last address you gave."))


def render_nta(c: dict[str, Any], lang: str = "en") -> bytes:
    """The I-862 Notice to Appear: content per 8 U.S.C. 1229(a)(1) and 8 CFR 1003.15."""
    with translation.override(lang):
        doc = _Doc()
        doc.heading1(_("Notice to Appear"),
                  _("In removal proceedings under section 240 of the Immigration and "
                    "Nationality Act") + f" · {c.get('a_number', '')}")
        _person_block(doc, c)
        doc.heading(_("Nature of the proceedings"))
        doc.para(_("The Department of Homeland Security has started removal proceedings "
                   "against you. An immigration judge will decide whether you must leave the "
                   "United States or may stay, including on any claim for asylum, withholding "
                   "of removal or protection under the Convention Against Torture."))
        doc.heading(_("Legal authority"))
        doc.para(_("Section 240 of the Immigration and Nationality Act (8 U.S.C. 1229a)."))
        if c.get("mpp"):
            doc.para(_("You are being returned to Mexico to wait for your hearing under section "
                       "235(b)(2)(C) of the Act (Migrant Protection Protocols)."))
        doc.heading(_("Acts or conduct alleged"))
        for i, text in enumerate(_allegations(c), start=1):
            doc.para(f"{i}. {text}")
        doc.heading(_("Charges"))
        doc.para(_("You are subject to removal under section 212(a)(7)(A)(i)(I) of the Act: at "
                   "the time of your application for admission you did not have a valid "
                   "entry document."))
        _time_and_place(doc, c)
        if c.get("court_address"):
            # 8 CFR 1003.15(b)(6): the court where this notice is filed.
            doc.field(_("Immigration court where this notice is filed"),
                      f"{c.get('court_name', '')}, {c['court_address']}")
        doc.heading(_("Right to a lawyer"))
        doc.para(_("You may be represented, at no cost to the government, by a lawyer or "
                   "accredited representative of your choice. These organizations may give "
                   "free legal help:"))
        for p in c.get("providers") or []:
            parts = [p.get(k, "") for k in ("name", "phone", "address")]
            doc.para("• " + " — ".join(x for x in parts if x), size=9)
        _address_duty(doc)
        _consequences(doc)
        doc.heading(_("Checking your case"))
        if c.get("pin"):
            doc.para(_("With your A-number and this PIN you can check your hearing by phone or "
                       "on the web. Keep the PIN private."))
            doc.field(_("PIN"), c["pin"])
        else:
            doc.para(_("Your look-up PIN is on the copy you were given in person."))
        doc.ln(3)
        doc.para(_("Issued on %(date)s by %(officer)s.")
                 % {"date": format_local(c.get("issued_at"), c.get("port_tz", "UTC")),
                    "officer": c.get("issued_by", "")}, size=8)
        return doc.bytes()


def _allegations(c: dict[str, Any]) -> list[str]:
    return [
        _("You are not a citizen or national of the United States."),
        _("You are a native and citizen of %(country)s.") % {"country": c.get("nationality", "")},
        _("You arrived at the %(port)s port of entry on %(date)s.")
        % {"port": c.get("port_name", ""), "date": (c.get("encountered_on") or "")},
        _("You did not then have or present a valid immigrant visa, entry permit or other "
          "valid entry document."),
    ]


def render_hearing_notice(c: dict[str, Any], lang: str = "en") -> bytes:
    """A notice of a new or changed hearing: written notice with the new time and place."""
    with translation.override(lang):
        doc = _Doc()
        doc.heading1(_("Notice of hearing in removal proceedings"), c.get("a_number", ""))
        doc.field(_("Name"), c.get("name", ""))
        doc.field(_("A-number"), c.get("a_number", ""))
        if c.get("previous_at"):
            doc.para(_("Your hearing has been changed. The hearing on %(old)s will NOT take "
                       "place then.")
                     % {"old": format_local(c.get("previous_at"), c.get("tz", "UTC"))})
            if c.get("reason"):
                doc.field(_("Reason"), c["reason"])
        _time_and_place(doc, c)
        _address_duty(doc)
        _consequences(doc)
        return doc.bytes()


def render_tear_sheet(c: dict[str, Any]) -> bytes:
    """English first, then the person's language (Spanish, Portuguese or Haitian Creole)."""
    langs = ["en"]
    other = sheet_language(c.get("language", "spa"))
    if other != "en":
        langs.append(other)
    doc = _Doc()
    for i, code in enumerate(langs):
        t = TEAR_SHEET[code]
        if i:
            doc.ln(4)
            doc.set_draw_color(120, 120, 120)
            doc.set_dash_pattern(dash=2, gap=2)
            doc.line(18, doc.get_y(), 198, doc.get_y())
            doc.set_dash_pattern()
            doc.ln(4)
        doc.heading1(t["title"])
        doc.field(t["name"], c.get("name", ""))
        doc.field(t["a_number"], c.get("a_number", ""))
        doc.para(t["report_intro"], size=11)
        doc.field(t["report_place"], f"{c.get('port_name', '')}, {c.get('port_address', '')}")
        doc.field(t["report_time"], format_local(c.get("report_at"), c.get("port_tz", "UTC")))
        doc.field(t["hearing_time"], format_local(c.get("hearing_at"), c.get("tz", "UTC")))
        doc.field(t["court"], f"{c.get('location_name', '')}, {c.get('location_address', '')}")
        doc.para(t["bring"])
        doc.para(t["late"])
    return doc.bytes()


def render(kind: str, content: dict[str, Any], lang: str = "en") -> bytes:
    if kind == "nta":
        return render_nta(content, lang)
    if kind == "hearing_notice":
        return render_hearing_notice(content, lang)
    return render_tear_sheet(content)
