"""Demo data for intake: Tijuana shelters, and `ctx.people` people in encounters at the
port between 2019-01-28 and 2020-03, with MPP's nationality mix, families and languages.

Deterministic (only `ctx.rng`), bulk-inserted in batches with one audit event per batch;
A-numbers come from the configured blocks like any other. Leaves `encounter_ids` and
`case_ids` in `ctx.shared` for the apps seeded after intake.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from garita.audit import services as audit
from garita.core.seeding import SeedContext, progress
from garita.intake.domain import AddressIn, address_problems
from garita.intake.models import (
    Address,
    Case,
    CaseStatus,
    Consent,
    ContactKind,
    ContactPoint,
    Encounter,
    Person,
    Shelter,
)
from garita.intake.services import anumber_allocate

BATCH_PEOPLE = 5000
TIJUANA = ZoneInfo("America/Tijuana")
FIRST_DAY = dt.date(2019, 1, 28)
LAST_DAY = dt.date(2020, 3, 15)

# (name, street address, colonia, phone, confirmed) — shelters that received MPP returnees.
SHELTERS = [
    ("Casa del Migrante en Tijuana", "Calle Galileo 239", "Postal", "+526646826688", True),
    ("Movimiento Juventud 2000", "Calle Miguel Negrete 2000", "Zona Norte", "", True),
    ("Instituto Madre Asunta", "Calle Galileo 2305", "Postal", "+526646837578", True),
    ("Desayunador Salesiano Padre Chava", "Avenida Ocampo 1950", "Zona Centro", "", True),
    ("Ejército de Salvación", "Avenida Ocampo 1445", "Zona Centro", "", True),
    ("Casa de las Tías", "Calle Décima 8080", "Zona Centro", "", True),
    ("Embajadores de Jesús", "Camino a Valle Redondo s/n", "Cañón del Alacrán", "", True),
    ("Casa del Migrante Scalabrini", "Calle Galileo 239", "Postal", "", True),
    ("Hotel del Migrante", "Avenida Internacional 150", "Zona Norte", "", True),
    ("Albergue Las Memorias", "Calle Larroque 43", "Colonia Independencia", "", True),
    ("Espacio Migrante", "Calle Segunda 2120", "Zona Centro", "", True),
    ("Albergue El Barretal", "Avenida Defensores de Baja California s/n", "Mariano Matamoros",
     "", False),  # a temporary camp: a notice sent there may never arrive
]

# ISO 3166-1 alpha-3 and weight (per cent of encounters), after TRAC's MPP figures.
NATIONALITIES = [("HND", 30), ("GTM", 25), ("SLV", 12), ("CUB", 8), ("VEN", 6), ("NIC", 6),
                 ("ECU", 6), ("BRA", 3), ("HTI", 2), ("COL", 1), ("PER", 1)]

_HISPANIC_F = ["María José", "Ana Lucía", "Dayana", "Yesenia", "Karla Patricia", "Sofía",
               "Daniela", "Gabriela", "Rosa María", "Wendy", "Keily", "Mayra", "Lourdes",
               "Marta Elena", "Juana", "Glenda", "Iris", "Nohemí", "Yolanda", "Ángela",
               "Génesis", "Fátima", "Xiomara", "Brenda", "Dania", "Milagro"]
_HISPANIC_M = ["José Luis", "Juan Carlos", "Kevin", "Óscar", "Wilmer", "Elmer", "Carlos",
               "Jesús", "Luis Fernando", "Édgar", "Héctor", "Josué", "Nelson", "Marvin",
               "Selvin", "Brayan", "Ángel", "Erick", "Rubén", "Darwin", "Yoel", "Andrés",
               "Ramón", "Víctor Manuel", "Joel", "Jonathan"]
_HISPANIC_SURNAMES = ["Núñez", "López", "Hernández", "García", "Martínez", "Rodríguez",
                      "Pérez", "Ramírez", "Flores", "Gómez", "Díaz", "Cruz", "Reyes", "Morales",
                      "Ortiz", "Castillo", "Chávez", "Vásquez", "Mejía", "Aguilar", "Sánchez",
                      "Ramos", "Rivera", "Méndez", "Zelaya", "Orellana", "Quiñónez", "Muñoz",
                      "Pineda", "Argueta", "de la Cruz", "del Cid", "Peña", "Ibáñez"]
_MAYAN_SURNAMES = ["Tzoc", "Xiloj", "Ajú", "Cux", "Batz", "Us", "Tum", "Pérez", "Chox",
                   "Tzunún", "Mendoza", "Ixcoy", "Velásquez", "Coj", "Yac"]
_CUBAN_SURNAMES = ["Fernández", "González", "Rodríguez", "Pérez", "Castro", "Valdés",
                   "Llanes", "Betancourt", "Céspedes", "Álvarez"]
_VEN_GIVEN = ["Yusmary", "Yorman", "Oriana", "Johandry", "Daniela", "Luis Eduardo",
              "Andreína", "Yeferson", "María Gabriela", "José Gregorio"]
_BRA_F = ["Ana Clara", "Júlia", "Maria Eduarda", "Letícia", "Fernanda", "Conceição"]
_BRA_M = ["João Pedro", "Luiz Henrique", "Antônio", "Thiago", "Matheus", "Sebastião"]
_BRA_SURNAMES = ["da Silva", "dos Santos", "Oliveira", "Souza", "Conceição", "Araújo",
                 "Gonçalves", "Ferreira", "Brandão", "Magalhães"]
_HTI_F = ["Marie-Ange", "Nadège", "Widelène", "Fabienne", "Rose-Merline", "Guerline"]
_HTI_M = ["Jean-Baptiste", "Wilner", "Frantz", "Jean Robert", "Fritznel", "Wisly"]
_HTI_SURNAMES = ["Pierre", "Joseph", "Jean-Louis", "Louis-Jeune", "Désir", "Saint-Fleur",
                 "Charles", "Exantus", "Étienne", "Dorvil"]

PLACEHOLDERS = [
    AddressIn(line1="Facebook", city="Tijuana", state="Baja California"),
    AddressIn(line1="Domicilio conocido", city="Tijuana", state="Baja California"),
    AddressIn(line1="", city="Tijuana", state="Baja California"),
    AddressIn(line1="WhatsApp", city="Tijuana", state="Baja California"),
    AddressIn(line1="N/A", city="Tijuana", state="Baja California"),
]
ROOMS = [("Calle Coahuila", "Zona Norte", "22000"), ("Avenida Constitución", "Zona Centro",
         "22000"), ("Calle Mutualismo", "Zona Centro", "22000"),
         ("Calle Pípila", "Colonia Libertad", "22400"), ("Avenida Las Palmas", "Sánchez Taboada",
         "22180"), ("Calle Río Nazas", "Colonia Revolución", "22015")]


def _name(rng: random.Random, nationality: str, female: bool, surnames: str | None,
          mayan: bool) -> tuple[str, str]:
    if nationality == "BRA":
        given = rng.choice(_BRA_F if female else _BRA_M)
        family = surnames or f"{rng.choice(_BRA_SURNAMES)} {rng.choice(_BRA_SURNAMES)}"
    elif nationality == "HTI":
        given = rng.choice(_HTI_F if female else _HTI_M)
        family = surnames or rng.choice(_HTI_SURNAMES)
    else:
        pool = _HISPANIC_F if female else _HISPANIC_M
        if nationality == "VEN" and rng.random() < 0.5:
            pool = _VEN_GIVEN
        given = rng.choice(pool)
        if surnames:
            family = surnames
        else:
            first = rng.choice(_MAYAN_SURNAMES if mayan else _CUBAN_SURNAMES
                               if nationality == "CUB" else _HISPANIC_SURNAMES)
            family = f"{first} {rng.choice(_HISPANIC_SURNAMES)}"
    return given, family


def _languages(rng: random.Random, nationality: str) -> tuple[list[str], bool]:
    if nationality == "BRA":
        return ["por"], False
    if nationality == "HTI":
        return ["hat", "fra"] if rng.random() < 0.4 else ["hat"], False
    if nationality == "GTM":
        roll = rng.random()
        if roll < 0.25:
            return ["quc", "spa"], True
        if roll < 0.40:
            return ["mam", "spa"], True
        if roll < 0.45:
            return ["kjb", "spa"], True
    if nationality == "HND" and rng.random() < 0.03:
        return ["cab", "spa"], False
    return ["spa"], False


def _dob(rng: random.Random, on: dt.date, lo: int, hi: int) -> dt.date:
    return on - dt.timedelta(days=rng.randint(lo * 365 + 1, hi * 365 + 300))


@lru_cache(maxsize=64)
def _flags(address: AddressIn, shelter_given: bool, shelter_confirmed: bool) -> list[str]:
    return list(address_problems(address, shelter_given=shelter_given,
                                 shelter_confirmed=shelter_confirmed))


def _officers() -> list[Any]:
    from garita.accounts.models import User

    out = []
    for i in range(1, 6):
        user, created = User.objects.get_or_create(
            username=f"seed-officer-{i}",
            defaults={"role": "port_officer", "first_name": "Seed", "last_name": f"Officer {i}"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        out.append(user)
    return out


def ensure_shelters() -> list[Shelter]:
    out = []
    for name, street, hood, phone, confirmed in SHELTERS:
        shelter, _ = Shelter.objects.get_or_create(
            name=name, defaults={"address": f"{street}, {hood}, Tijuana, B.C.", "phone": phone,
                                 "confirmed": confirmed})
        shelter.street = street  # type: ignore[attr-defined]
        shelter.hood = hood  # type: ignore[attr-defined]
        out.append(shelter)
    return out


def _plan_family(rng: random.Random, remaining: int) -> tuple[str, list[str]]:
    """A family type and its members' roles ("adult"/"child"); 40% of people travel alone."""
    roll = rng.random()
    if remaining == 1 or roll < 0.69:
        return ("unaccompanied_child", ["child"]) if rng.random() < 0.012 else \
            ("single_adult", ["adult"])
    size = min(remaining, rng.choice([2, 2, 3, 3, 3, 4, 4, 5]))
    adults = 1 if size == 2 or rng.random() < 0.55 else 2
    return "family_unit", ["adult"] * adults + ["child"] * (size - adults)


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng
    started = time.perf_counter()
    from garita.core.models import Port

    ports = {p.slug: p for p in Port.objects.filter(slug__in=["san-ysidro", "calexico"])}
    shelters = ensure_shelters()
    officers = _officers()
    nat_codes = [c for c, _ in NATIONALITIES]
    nat_weights = [w for _, w in NATIONALITIES]
    span = (LAST_DAY - FIRST_DAY).days
    encounter_ids: list[int] = []
    case_ids: list[int] = []
    done = 0
    with progress(ctx, "intake: people", ctx.people) as advance:
        while done < ctx.people:
            plans = []
            batch = 0
            while batch < BATCH_PEOPLE and done + batch < ctx.people:
                plan = _plan_family(rng, ctx.people - done - batch)
                plans.append(plan)
                batch += len(plan[1])
            _insert_batch(ctx, rng, plans, batch, ports, shelters, officers, nat_codes,
                          nat_weights, span, encounter_ids, case_ids)
            done += batch
            advance(batch)
    ctx.shared["encounter_ids"] = encounter_ids
    ctx.shared["case_ids"] = case_ids
    ctx.say(f"intake: {done} people in {len(encounter_ids)} encounters, {len(shelters)} "
            f"shelters ({time.perf_counter() - started:.1f} s)")


class _DbValues:
    """Values already in the database's own form, memoised where a batch repeats them: the
    rows below go to executemany as they are."""

    def __init__(self) -> None:
        from django.db import connection

        self.ops = connection.ops
        self._json: dict[tuple[str, ...], Any] = {}

    def at(self, value: dt.datetime | None) -> Any:
        return None if value is None else self.ops.adapt_datetimefield_value(value)

    def date(self, value: dt.date) -> Any:
        return self.ops.adapt_datefield_value(value)

    def json(self, value: list[str]) -> Any:
        key = tuple(value)
        if key not in self._json:
            self._json[key] = self.ops.adapt_json_value(list(value), None)
        return self._json[key]


def _bulk_insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT with executemany and ids chosen by the caller: the ORM's bulk_create spends
    most of its time building SQL, which 100,000 people cannot afford. Every row has the
    same keys (attnames) in the same order, with values already adapted (_DbValues)."""
    if not rows:
        return
    from django.db import connection

    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[n] for n in rows[0]]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "
           f"({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [list(row.values()) for row in rows])


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _reset_sequences() -> None:
    """PostgreSQL sequences must move past the ids chosen here (SQLite needs nothing)."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(
        no_style(), [Encounter, Person, Case, Address, ContactPoint, Consent])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@transaction.atomic
def _insert_batch(ctx: SeedContext, rng: random.Random, plans: list[tuple[str, list[str]]],
                  count: int, ports: dict[str, Any], shelters: list[Shelter],
                  officers: list[Any], nat_codes: list[str], nat_weights: list[int], span: int,
                  encounter_ids: list[int], case_ids: list[int]) -> None:
    from django.utils import timezone

    db = _DbValues()
    now = db.at(timezone.now())
    no_aliases = db.json([])
    a_numbers = iter(anumber_allocate(count))
    enc_id, person_id, case_id = _next_id(Encounter), _next_id(Person), _next_id(Case)
    address_id, contact_id = _next_id(Address), _next_id(ContactPoint)
    consent_id = _next_id(Consent)
    consents: list[dict[str, Any]] = []
    encounters: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    for family_type, roles in plans:
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(span + 1))
        local = dt.datetime.combine(day, dt.time(rng.randint(6, 19), rng.randrange(60)),
                                    tzinfo=TIJUANA)
        occurred = db.at(local.astimezone(dt.UTC))
        port = ports["calexico"] if rng.random() < 0.12 and "calexico" in ports else \
            ports["san-ysidro"]
        nationality = rng.choices(nat_codes, nat_weights)[0]
        encounters.append({"id": enc_id, "port_id": port.pk, "occurred_at": occurred,
                           "officer_id": rng.choice(officers).pk, "family_type": family_type,
                           "waitlist_entry_id": None, "notes": "", "created_at": now})
        encounter_ids.append(enc_id)
        langs, mayan = _languages(rng, nationality)
        langs_db = db.json(langs)
        shared_surnames = None
        # Address and phone are shared by the family: one shelter, one phone.
        roll = rng.random()
        if roll < 0.72:
            shelter: Shelter | None = rng.choice(shelters)
            address = AddressIn(line1=shelter.street, neighborhood=shelter.hood,  # type: ignore[union-attr]
                                city="Tijuana", state="Baja California", postal_code="22000")
        elif roll < 0.90:
            shelter = None
            street, hood, cp = rng.choice(ROOMS)
            address = AddressIn(line1=f"{street} {rng.randint(100, 9999)}", neighborhood=hood,
                                city="Tijuana", state="Baja California", postal_code=cp)
        else:
            shelter = None
            address = rng.choice(PLACEHOLDERS)
        # Rented rooms all have a street and number, so they are never flagged; the
        # cache only pays off for the few distinct shelter and placeholder addresses.
        flags = [] if shelter is None and roll < 0.90 else _flags(
            address, shelter is not None, bool(shelter and shelter.confirmed))
        flags_db = db.json(flags)
        phone = f"+52664{rng.randint(1000000, 9999999)}" if rng.random() < 0.85 else None
        for i, role in enumerate(roles):
            female = rng.random() < (0.55 if role == "adult" else 0.5)
            if role == "adult":
                dob = _dob(rng, day, 18, 55)
            elif len(roles) == 1:
                dob = _dob(rng, day, 12, 16)
            else:
                dob = _dob(rng, day, 0, 17)
            given, surnames = _name(rng, nationality, female,
                                    shared_surnames if role == "child" else None, mayan)
            if i == 0:
                shared_surnames = surnames
            people.append({
                "id": person_id, "encounter_id": enc_id, "given_names": given,
                "surnames": surnames, "aliases": no_aliases, "date_of_birth": db.date(dob),
                "sex": "F" if female else "M", "nationality": nationality, "languages": langs_db,
                "relationship": "head" if i == 0 else ("child" if role == "child" else "spouse"),
                "is_head": i == 0,
            })
            cases.append({
                "id": case_id, "person_id": person_id, "a_number": next(a_numbers),
                "status": CaseStatus.ENCOUNTERED.value, "status_changed_at": occurred,
                "port_id": port.pk, "lookup_pin_digest": "", "info_changed_at": None,
                "created_at": now, "updated_at": now,
            })
            addresses.append({
                "id": address_id, "case_id": case_id, "line1": address.line1,
                "neighborhood": address.neighborhood, "city": address.city,
                "state": address.state, "country": "MEX", "postal_code": address.postal_code,
                "shelter_id": shelter.pk if shelter else None, "is_placeholder": bool(flags),
                "placeholder_reasons": flags_db, "confirmed": shelter is not None,
                "given_at": occurred,
            })
            address_id += 1
            # About a third of shelter residents agree in writing to share with the shelter.
            if shelter is not None and rng.random() < 0.35:
                consents.append({"id": consent_id, "case_id": case_id,
                                 "grantee_type": Consent.Grantee.SHELTER.value,
                                 "shelter_id": shelter.pk, "representative_id": None,
                                 "given_at": occurred, "revoked_at": None, "notes": ""})
                consent_id += 1
            if phone:
                contacts.append({"id": contact_id, "case_id": case_id,
                                 "kind": ContactKind.PHONE.value, "value": phone,
                                 "consent_sms": True, "consent_voice": True,
                                 "opted_out_at": None, "created_at": now})
                contact_id += 1
            case_ids.append(case_id)
            person_id += 1
            case_id += 1
        enc_id += 1
    for model, rows in ((Encounter, encounters), (Person, people), (Case, cases),
                        (Address, addresses), (ContactPoint, contacts), (Consent, consents)):
        _bulk_insert(model, rows)
    _reset_sequences()
    audit.record(actor="seed", action="seed.encounters", object_type="intake.encounter",
                 new={"encounters": len(encounters), "people": len(people),
                      "consents": len(consents),
                      "first_a_number": cases[0]["a_number"] if cases else None,
                      "last_a_number": cases[-1]["a_number"] if cases else None})
