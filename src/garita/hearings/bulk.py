"""Fast multi-row INSERT for the scheduler and mass reschedule (100,000 rows in seconds).

The ORM's bulk_create spends most of its time building model instances and preparing each
value; here rows are tuples, datetimes and JSON are adapted once per value with the
backend's own adapters, and the database gets one statement per chunk. Callers run inside
their service's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

from garita.core.sql import column


class RawJSON(str):
    """JSON already serialised once (the same content shared by several rows)."""


def fast_datetime(value: dt.datetime | None) -> Any:
    """What the backend stores for an aware datetime, without the ORM's per-value checks:
    SQLite keeps naive UTC text (as Django writes it); PostgreSQL takes the datetime."""
    if value is None:
        return None
    if connection.vendor == "sqlite":
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))
    return value


def _json(value: Any) -> str:
    if isinstance(value, RawJSON):
        return value
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def raw_rows(queryset: Any) -> list[tuple[Any, ...]]:
    """The rows of a values_list() queryset without per-value converters (fast for 100,000
    rows): SQLite gives datetimes and JSON as text, PostgreSQL as Python objects."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def parse_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _adapter(field: models.Field) -> Any:
    if isinstance(field, models.DateTimeField):
        return fast_datetime
    if isinstance(field, models.DateField):
        return lambda v: connection.ops.adapt_datefield_value(v) if v is not None else None
    if isinstance(field, models.JSONField):
        return _json
    return None


def insert_rows(model: type[models.Model], columns: Sequence[str],
                rows: Sequence[Sequence[Any]], *, chunk: int = 500) -> int:
    """INSERT rows (tuples in `columns` order; FK columns by attname, e.g. `case_id`)."""
    if not rows:
        return 0
    fields = {f.attname: f for f in model._meta.concrete_fields}
    adapters = [_adapter(fields[c]) for c in columns]
    cols = ", ".join(connection.ops.quote_name(column(fields[c])) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # SQLite caps bound variables per statement; keep every chunk well under it.
    chunk = max(1, min(chunk, 30000 // len(columns)))
    with connection.cursor() as cur:
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            params: list[Any] = []
            for row in part:
                for value, adapt in zip(row, adapters, strict=True):
                    params.append(adapt(value) if adapt is not None else value)
            cur.execute(f"INSERT INTO {table} ({cols}) VALUES "  # noqa: S608
                        + ", ".join([one] * len(part)), params)
    return len(rows)


def batch_stamp() -> dt.datetime:
    """A creation time unique to one batch, to read back the ids a batch inserted."""
    from django.utils import timezone

    return timezone.now()
