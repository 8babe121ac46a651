"""Compiled statements for the hot paths (a run's create, claim, events and end; a thread's create).

The ORM builds every query anew: 100-250 µs of Python per statement, several times the statement
itself on SQLite. Here the SQL text of a statement is built once per *shape* (model, columns, the
form of its WHERE) and cached; each call only adapts its values, with the model fields' own
``get_db_prep_value``/``get_db_prep_save`` (so a UUID, a datetime or a JSON value is stored exactly
as the ORM stores it, on SQLite and PostgreSQL), and reads convert with the fields' own converters.

Only plain shapes: ``where`` maps a column (attname) to a value (``None``: ``IS NULL``) or, with a
suffix, ``__lte``/``__lt``/``__in``. No signals are sent and no model instance is built: callers
that replace a ``Model.save()`` do what its signals did themselves (``threads.services``).
"""
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

_SQL: dict = {}  # (vendor, kind, model, shape) -> SQL text
_FIELDS: dict = {}  # (model, attname) -> field
_CONVERTERS: dict = {}  # (vendor, model, attnames) -> [(position, converters, column)]
_OPS = {"lte": "<=", "lt": "<", "gte": ">=", "gt": ">"}


def _field(model, name):
    key = (model, name)
    field = _FIELDS.get(key)
    if field is None:
        field = _FIELDS[key] = model._meta.get_field(name)
    return field


def _cached(connection, kind, model, shape, build):
    key = (connection.vendor, kind, model, shape)
    sql = _SQL.get(key)
    if sql is None:
        sql = _SQL[key] = build()
    return sql


def _split(key):
    name, _, op = key.partition("__")
    return name, op


def _where_shape(where):
    return tuple((key, None if value is None else len(value) if _split(key)[1] == "in" else 0)
                 for key, value in where.items())


def _where_sql(connection, model, shape):
    quote = connection.ops.quote_name
    parts = []
    for key, size in shape:
        name, op = _split(key)
        column = quote(_field(model, name).column)
        if size is None:
            parts.append(f"{column} IS NULL")
        elif op == "in":
            parts.append(f"{column} IN ({', '.join(['%s'] * size)})" if size else "1 = 0")
        else:
            parts.append(f"{column} {_OPS.get(op, '=')} %s")
    return " AND ".join(parts) or "1 = 1"


def _where_params(connection, model, where):
    params = []
    for key, value in where.items():
        if value is None:
            continue
        field = _field(model, _split(key)[0])
        if _split(key)[1] == "in":
            params += [field.get_db_prep_value(v, connection) for v in value]
        else:
            params.append(field.get_db_prep_value(value, connection))
    return params


def _save_params(connection, model, values):
    return [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]


def update(model, *, where: dict, values: dict, add: dict | None = None) -> int:
    """``UPDATE ... SET values, column = column + n (add) WHERE where``; the number of rows changed."""
    connection = connections[DEFAULT_DB_ALIAS]  # once: each use of the proxy is a lookup
    add = add or {}
    shape = (tuple(values), tuple(add), _where_shape(where))

    def build():
        quote = connection.ops.quote_name
        sets = [f"{quote(_field(model, name).column)} = %s" for name in values]
        sets += [f"{quote(_field(model, name).column)} = {quote(_field(model, name).column)} + %s" for name in add]
        return f"UPDATE {quote(model._meta.db_table)} SET {', '.join(sets)} WHERE {_where_sql(connection, model, shape[2])}"

    sql = _cached(connection, "update", model, shape, build)
    with connection.cursor() as cursor:
        cursor.execute(sql, _save_params(connection, model, values) + list(add.values())
                       + _where_params(connection, model, where))
        return cursor.rowcount


def row_values(model, values: dict) -> dict:
    """``values`` completed with every other concrete field's default, as ``Model.save()`` would
    insert them (``auto_now``/``auto_now_add`` fields: now)."""
    row, now = {}, None
    for field in model._meta.concrete_fields:
        if field.attname in values:
            row[field.attname] = values[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            row[field.attname] = now = now or timezone.now()
        else:
            row[field.attname] = field.get_default()
    return row


def insert(model, values: dict) -> dict:
    """``INSERT`` one row of ``model`` (``row_values``: defaults filled in); returns that row."""
    connection = connections[DEFAULT_DB_ALIAS]
    row = row_values(model, values)

    def build():
        quote = connection.ops.quote_name
        columns = ", ".join(quote(_field(model, name).column) for name in row)
        return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(row))})"

    sql = _cached(connection, "insert", model, tuple(row), build)
    with connection.cursor() as cursor:
        cursor.execute(sql, _save_params(connection, model, row))
    return row


def _converters(connection, model, names):
    key = (connection.vendor, model, names)
    found = _CONVERTERS.get(key)
    if found is None:
        found = []
        for position, name in enumerate(names):
            column = _field(model, name).get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if converters:
                found.append((position, converters, column))
        _CONVERTERS[key] = found
    return found


def select(model, names: tuple, *, where: dict, limit: int | None = None, for_update: bool = False) -> list[dict]:
    """``SELECT names FROM model WHERE where``: a dict per row, values converted as the ORM would."""
    connection = connections[DEFAULT_DB_ALIAS]
    shape = (names, _where_shape(where), limit, for_update)

    def build():
        quote = connection.ops.quote_name
        columns = ", ".join(quote(_field(model, name).column) for name in names)
        sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {_where_sql(connection, model, shape[1])}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        if for_update and connection.features.has_select_for_update:
            sql += " FOR UPDATE"
        return sql

    sql = _cached(connection, "select", model, shape, build)
    with connection.cursor() as cursor:
        cursor.execute(sql, _where_params(connection, model, where))
        rows = cursor.fetchall()
    converters = _converters(connection, model, names)
    result = []
    for row in rows:
        row = list(row)
        for position, convs, column in converters:
            value = row[position]
            for convert in convs:
                value = convert(value, column, connection)
            row[position] = value
        result.append(dict(zip(names, row)))
    return result


def select_one(model, names: tuple, *, where: dict, for_update: bool = False) -> dict | None:
    rows = select(model, names, where=where, limit=1, for_update=for_update)
    return rows[0] if rows else None
