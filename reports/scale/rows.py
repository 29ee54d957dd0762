"""Writing many rows fast: the bulk of the seeded population (answers,
links, submissions, verdicts, frozen revisions, events) goes in without a
model instance each, by COPY on PostgreSQL and executemany on SQLite. The
values are converted by the model fields, as the ORM would."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, models

# Values these fields hold need the backend's conversion (time zones, JSON, decimals).
_CONVERTED = (models.DateTimeField, models.DateField, models.JSONField, models.DecimalField)


class EncodedJSON(str):
    """A JSON document already encoded (the submissions' payloads are, for
    their hash): written as it is instead of being encoded once more."""


def allocate_ids(model, count: int) -> list[int]:
    """`count` new primary keys for rows inserted with explicit ids. Inside
    the caller's transaction: PostgreSQL hands them out from the sequence,
    SQLite allows one writer, so the next free numbers stay free."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(model._meta.pk.column)}) FROM {table}")  # noqa: S608
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


def insert(model, field_names: list[str], rows: list[tuple], chunk: int = 2000) -> None:
    """Insert `rows` (tuples in the order of `field_names`; "id" for
    explicit keys from allocate_ids)."""
    if not rows:
        return
    fields = [model._meta.pk if name == "id" else model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model_field.column) for model_field in fields)
    converters = [
        (index, model_field) for index, model_field in enumerate(fields) if isinstance(model_field, _CONVERTED)
    ]

    def converted(row):
        if not converters:
            return row
        row = list(row)
        for index, model_field in converters:
            if not isinstance(row[index], EncodedJSON):
                row[index] = model_field.get_db_prep_save(row[index], connection)
        return row

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(converted(row))
        return
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            cursor.executemany(sql, [converted(row) for row in rows[start : start + chunk]])


@contextmanager
def historic_timestamps(fields):
    """auto_now / auto_now_add of the (model, field name) pairs switched off
    while seeding, so that rows carry their history's times (restored after)."""
    saved = []
    for model, name in fields:
        model_field = model._meta.get_field(name)
        saved.append((model_field, model_field.auto_now, model_field.auto_now_add))
        model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in saved:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add
