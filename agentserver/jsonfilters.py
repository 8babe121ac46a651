"""Containment filters on JSON fields that behave the same on PostgreSQL and SQLite."""
from django.db import connection, models
from django.db.models import F, JSONField, Value
from django.db.models.fields.json import HasKey, KeyTransform


def json_contains(field, subset):
    """Lookups matching rows whose JSON ``field`` contains the object ``subset``.

    PostgreSQL uses ``@>``. Elsewhere (SQLite has no JSON ``contains``) the subset is matched key by
    key through key transforms, so keys containing ``__`` are not mistaken for lookups: nested objects
    recursively, any other value (scalar, list, null) by equality."""
    if connection.vendor == "postgresql" and isinstance(field, str):
        return [models.Q(**{f"{field}__contains": subset})]
    lookups = []
    for key, value in subset.items():
        path = KeyTransform(str(key), field)
        if isinstance(value, dict) and value:
            lookups.extend(json_contains(path, value))
        elif isinstance(value, dict):
            lookups.append(HasKey(F(field) if isinstance(field, str) else field, str(key)))
        else:
            lookups.append(path.get_lookup("exact")(path, Value(value, output_field=JSONField())))
    return lookups
