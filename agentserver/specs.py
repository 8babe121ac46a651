"""Loading what langgraph.json names as ``"./file.py:attr"`` or ``"package.module:attr"`` (graphs,
the auth object, the custom http app, the store's embedding function): one loader, relative paths
resolved against the directory of langgraph.json."""
import importlib
import importlib.util
import sys
from pathlib import Path


def load_attr(spec, *, base_dir: Path, label: str, error: type[Exception], prefix: str):
    """The attribute ``spec`` names. Every failure raises ``error`` with a message that starts with
    ``label`` (e.g. "Graph 'agent'", "auth.path"); a file's module is registered as
    ``<prefix>_<hash of its path>`` so that it can be pickled and imported once."""
    if not isinstance(spec, str) or ":" not in spec:
        raise error(f"{label}: {spec!r} must look like './file.py:attr' or 'module:attr'")
    target, _, attr = spec.rpartition(":")
    try:
        if target.endswith(".py") or "/" in target or target.startswith("."):
            path = (base_dir / target).resolve()
            if not path.is_file():
                raise error(f"{label}: file not found: {path}")
            name = f"{prefix}_{abs(hash(str(path)))}"
            module_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except error:
        raise
    except Exception as exc:  # noqa: BLE001 - any import failure is a config error naming it
        raise error(f"{label}: failed to import {target}: {exc!r}") from exc
    if not hasattr(module, attr):
        raise error(f"{label}: {target} has no attribute '{attr}'")
    return getattr(module, attr)
