"""Reference data every install needs: the ports of entry that ran MPP, and a first block
of A-numbers when none is configured.

Idempotent; administrators edit these in the admin afterwards.
"""

from __future__ import annotations

from garita.core.models import Port

PORTS = [
    ("san-ysidro", "San Ysidro", "Tijuana", "America/Tijuana",
     "720 E San Ysidro Blvd, San Diego, CA 92173"),
    ("calexico", "Calexico West", "Mexicali", "America/Tijuana",
     "200 E 1st St, Calexico, CA 92231"),
    ("el-paso", "El Paso (Paso del Norte)", "Ciudad Juárez", "America/Denver",
     "1000 S El Paso St, El Paso, TX 79901"),
    ("laredo", "Laredo", "Nuevo Laredo", "America/Chicago",
     "1000 Zaragoza St, Laredo, TX 78040"),
    ("brownsville", "Brownsville (Gateway)", "Matamoros", "America/Chicago",
     "1001 E Elizabeth St, Brownsville, TX 78520"),
]


def ensure_reference_data() -> None:
    for slug, name, city, tz, address in PORTS:
        Port.objects.get_or_create(
            slug=slug, defaults={"name": name, "city": city, "timezone": tz, "address": address}
        )
    ensure_anumber_block()


# The block handed out when an install has none configured (administrators add more).
DEFAULT_ANUMBER_BLOCK = ("Default block", 212_000_000, 212_999_999)


def ensure_anumber_block() -> None:
    from garita.intake.models import ANumberBlock

    if not ANumberBlock.objects.exists():
        name, first, last = DEFAULT_ANUMBER_BLOCK
        ANumberBlock.objects.create(name=name, first=first, last=last, next_value=first)
