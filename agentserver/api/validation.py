"""One way to validate a request's data with a DRF serializer, for JSON views and stream consumers.

    data = validated(RunCreateSerializer, payload)      # a dict, or InvalidInput (422) naming each field

A DRF serializer deep-copies its declared fields on every instance, i.e. builds each field (and each
nested serializer's) again per request: most of the CPU of validating a small body. Each thread
keeps one bound instance per serializer class and reuses it (its fields are not rebuilt); the
instance's per-validation state (``initial_data``, errors, validated data) is reset before each use.
A serializer that is validating on this thread (validation nested in validation) is not shared: the
inner call builds its own instance.
"""
import threading

from agentserver.api.exceptions import InvalidInput, flatten_errors

_local = threading.local()
_PER_VALIDATION = ("_validated_data", "_errors", "_data")


def _instance(serializer_class, data):
    idle = _local.__dict__.setdefault("idle", {})
    serializer = idle.pop(serializer_class, None)
    if serializer is None:
        return serializer_class(data=data)
    for attr in _PER_VALIDATION:
        serializer.__dict__.pop(attr, None)
    serializer.initial_data = data
    return serializer


def validated(serializer_class, data) -> dict:
    """``data`` validated by ``serializer_class``: its ``validated_data`` as a dict; 422 otherwise."""
    serializer = _instance(serializer_class, data)
    try:
        if not serializer.is_valid():
            raise InvalidInput(flatten_errors(serializer.errors))
        return dict(serializer.validated_data)
    finally:
        for attr in _PER_VALIDATION:
            serializer.__dict__.pop(attr, None)
        serializer.initial_data = None
        _local.idle[serializer_class] = serializer
