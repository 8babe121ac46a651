"""JSON encoding of everything a graph can put in a stream or a state, as the reference encodes it.

LangChain messages and other pydantic models dump with ``model_dump()``; dataclasses (``Interrupt``,
``Send``) are native to orjson; anything else falls back to a best effort, never an exception.
"""
import dataclasses
import datetime
import decimal
import enum
import uuid

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _default(obj):
    if hasattr(obj, "model_dump") and callable(obj.model_dump):
        return obj.model_dump()
    if hasattr(obj, "dict") and callable(obj.dict) and hasattr(obj, "__fields__"):
        return obj.dict()
    if hasattr(obj, "_asdict"):
        return obj._asdict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (datetime.timedelta,)):
        return obj.total_seconds()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, BaseException):
        return {"error": type(obj).__name__, "message": str(obj)}
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    return repr(obj)


def dumps(obj) -> bytes:
    """Compact JSON bytes."""
    try:
        return orjson.dumps(obj, default=_default, option=_OPTIONS)
    except TypeError as exc:
        if "64-bit" not in str(exc):
            raise
        return _dumps_big_ints(obj)


def _dumps_big_ints(obj) -> bytes:
    """orjson refuses integers beyond 64 bits (PostgreSQL's jsonb reads 1e20 back as one): the
    standard library writes them exactly."""
    import json

    def default(value):
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            return value.isoformat()
        return _default(value)

    return json.dumps(obj, default=default, separators=(",", ":"), ensure_ascii=False).encode()


def dumps_str(obj) -> str:
    return dumps(obj).decode()


def to_jsonable(obj):
    """Round-trip through JSON: plain dicts/lists safe to store in a JSONField."""
    return orjson.loads(dumps(obj))


loads = orjson.loads
