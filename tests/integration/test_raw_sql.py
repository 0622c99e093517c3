"""garita.core.sql: hand-written statements on the driver's cursor, on both databases."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from garita.core import sql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def table():
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE garita_sql_probe (id integer PRIMARY KEY, label varchar(40))")
    yield "garita_sql_probe"
    with connection.cursor() as cur:
        cur.execute("DROP TABLE garita_sql_probe")


def test_placeholders_and_literal_percent_signs(table):
    sql.execute(f"INSERT INTO {table} (id, label) VALUES (%s, %s)", [1, "50% off"])
    rows = sql.fetchall(f"SELECT id, label FROM {table} WHERE label LIKE '50%%' AND id = %s",
                        [1])
    assert rows == [(1, "50% off")]


def test_an_autocommit_statement_is_committed_at_once(table):
    sql.execute(f"INSERT INTO {table} (id, label) VALUES (%s, %s)", [2, "kept"])
    connection.close()  # a new connection sees it
    assert sql.fetchall(f"SELECT label FROM {table}", []) == [("kept",)]


def test_inside_atomic_it_rolls_back_with_the_transaction(table):
    with pytest.raises(RuntimeError), transaction.atomic():
        sql.execute(f"INSERT INTO {table} (id, label) VALUES (%s, %s)", [3, "gone"])
        raise RuntimeError
    assert sql.fetchall(f"SELECT id FROM {table}", []) == []


def test_database_errors_are_djangos(table):
    sql.execute(f"INSERT INTO {table} (id, label) VALUES (%s, %s)", [4, "a"])
    with pytest.raises(IntegrityError):  # django.db's class, so middleware recognises it
        sql.execute(f"INSERT INTO {table} (id, label) VALUES (%s, %s)", [4, "b"])


def test_a_broken_transaction_refuses_further_statements(table):
    from django.db.transaction import TransactionManagementError

    with transaction.atomic():
        sql.execute(f"INSERT INTO {table} (id, label) VALUES (%s, %s)", [5, "a"])
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            sql.execute(f"INSERT INTO {table} (id, label) VALUES (%s, %s)", [5, "b"])
        with pytest.raises(TransactionManagementError):
            sql.fetchall(f"SELECT id FROM {table}", [])
        transaction.set_rollback(True)


def test_statements_are_counted_when_queries_are_captured(table, django_assert_num_queries):
    with django_assert_num_queries(2):
        sql.execute(f"INSERT INTO {table} (id, label) VALUES (%s, %s)", [6, "x"])
        assert sql.fetchall(f"SELECT id FROM {table} WHERE id = %s", [6]) == [(6,)]
