"""The tear sheet's words in English, Spanish, Portuguese and Haitian Creole.

Kept as data (not only gettext) because the sheet always prints English next to the
person's language, whatever the officer's own interface language is.
"""

from __future__ import annotations

TEAR_SHEET: dict[str, dict[str, str]] = {
    "en": {
        "title": "Where and when to report for your immigration court hearing",
        "report_intro": "You must report to the port of entry at:",
        "report_time": "Report time",
        "report_place": "Report place",
        "hearing_time": "Your hearing",
        "court": "Court",
        "bring": "Bring this sheet, your Notice to Appear and any identity documents. "
                 "Arrive on time: U.S. officers will take you to the court and bring you back.",
        "late": "If you cannot come, call the immigration court hotline 1-800-898-7180 or "
                "Garita's line and give your A-number. Missing a hearing can lead to an order "
                "of removal in your absence.",
        "a_number": "A-number",
        "name": "Name",
    },
    "es": {
        "title": "Dónde y cuándo presentarse para su audiencia en la corte de inmigración",
        "report_intro": "Debe presentarse en el puerto de entrada:",
        "report_time": "Hora de presentarse",
        "report_place": "Lugar donde presentarse",
        "hearing_time": "Su audiencia",
        "court": "Corte",
        "bring": "Traiga esta hoja, su Notificación de Comparecencia (Notice to Appear) y sus "
                 "documentos de identidad. Llegue a tiempo: los oficiales de EE. UU. lo "
                 "llevarán a la corte y lo regresarán.",
        "late": "Si no puede venir, llame a la línea de la corte de inmigración "
                "1-800-898-7180 o a la línea de Garita y dé su número A. Faltar a una "
                "audiencia puede resultar en una orden de deportación en su ausencia.",
        "a_number": "Número A",
        "name": "Nombre",
    },
    "pt": {
        "title": "Onde e quando se apresentar para a sua audiência no tribunal de imigração",
        "report_intro": "Você deve se apresentar no porto de entrada:",
        "report_time": "Horário de apresentação",
        "report_place": "Local de apresentação",
        "hearing_time": "Sua audiência",
        "court": "Tribunal",
        "bring": "Traga esta folha, a sua Notificação de Comparecimento (Notice to Appear) e "
                 "os seus documentos de identidade. Chegue no horário: os agentes dos EUA "
                 "levarão você ao tribunal e trarão você de volta.",
        "late": "Se não puder vir, ligue para a linha do tribunal de imigração "
                "1-800-898-7180 ou para a linha da Garita e informe o seu número A. Faltar a "
                "uma audiência pode resultar em uma ordem de remoção à revelia.",
        "a_number": "Número A",
        "name": "Nome",
    },
    "ht": {
        "title": "Ki kote ak ki lè pou w prezante pou odyans ou nan tribinal imigrasyon an",
        "report_intro": "Ou dwe prezante nan pò dantre a:",
        "report_time": "Lè pou w prezante",
        "report_place": "Kote pou w prezante",
        "hearing_time": "Odyans ou",
        "court": "Tribinal",
        "bring": "Pote fèy sa a, Avi pou Prezante (Notice to Appear) ou a ak nenpòt papye "
                 "idantite. Rive alè: ofisye ameriken yo ap mennen w nan tribinal la epi "
                 "mennen w tounen.",
        "late": "Si ou pa ka vini, rele liy tribinal imigrasyon an 1-800-898-7180 oswa liy "
                "Garita a epi bay nimewo A ou. Si ou rate yon odyans, jij la ka bay yon lòd "
                "depòtasyon san ou pa la.",
        "a_number": "Nimewo A",
        "name": "Non",
    },
}

# ISO 639-3 (what intake records) to the tear sheet's language; others get Spanish too.
LANG_639_3 = {"spa": "es", "por": "pt", "hat": "ht", "eng": "en"}


def sheet_language(lang_639_3: str) -> str:
    return LANG_639_3.get(lang_639_3, "es")
