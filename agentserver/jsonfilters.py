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


class _JsonArrayHas(models.Func):
    """SQLite: the JSON array at ``key`` of ``field`` has an element equal to ``value``."""

    output_field = models.BooleanField()
    arity = 1

    def __init__(self, field, key, value):
        self.key, self.value = key, value
        super().__init__(F(field) if isinstance(field, str) else field)

    def as_sql(self, compiler, connection, **extra):
        field_sql, params = compiler.compile(self.source_expressions[0])
        path = '$."' + str(self.key).replace('"', '\\"') + '"'
        sql = (f"EXISTS (SELECT 1 FROM json_each({field_sql}, %s) AS je "
               f"WHERE je.type IN ('text', 'integer', 'real', 'true', 'false') AND je.value = %s)")
        value = self.value
        if isinstance(value, bool):
            value = int(value)
        return sql, (*params, path, value)


def _contains_member(field, key, value):
    if connection.vendor == "postgresql":
        return json_contains(field, {key: [value]}) if isinstance(field, str) else []
    return [_JsonArrayHas(field, key, value)]


def access_q(field, filters):
    """The rows whose JSON ``field`` (metadata) matches an authorization filter, as a ``Q``.

    The filter language of LangGraph's auth handlers (``langgraph_sdk.auth.types.FilterType``), all
    keys ANDed: ``{"key": value}`` and ``{"key": {"$eq": value}}`` (equality),
    ``{"key": {"$contains": value}}`` (the array at ``key`` has ``value``) and
    ``{"key": {"$contains": [v1, v2]}}`` (has all of them). ``{"$or": [filter, ...]}`` matches rows
    any of the filters match (used by the built-in API-key authorizer). An unknown operator matches
    nothing. Applied in SQL, so counts and pagination see only what the caller may see."""
    q = models.Q()
    for key, condition in (filters or {}).items():
        if key == "$or":
            alternatives = models.Q(pk__in=[])
            for alternative in condition or []:
                alternatives |= access_q(field, alternative)
            q &= alternatives
            continue
        if isinstance(condition, dict) and len(condition) == 1 and next(iter(condition)).startswith("$"):
            op, operand = next(iter(condition.items()))
            if op == "$eq":
                q &= models.Q(*json_contains(field, {key: operand}))
            elif op == "$contains":
                for member in operand if isinstance(operand, list) else [operand]:
                    q &= models.Q(*_contains_member(field, key, member))
            else:
                q &= models.Q(pk__in=[])
        else:
            q &= models.Q(*json_contains(field, {key: condition}))
    return q
