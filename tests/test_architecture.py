"""The house's layers: every import between apps points down, and there is no import cycle.

    agentserver (ground) <- streaming (the event log) <- assistants <- threads <- runs <- the rest

Imports inside functions count too. ``agentserver``'s composition root (settings, urls, asgi) names
the apps only as strings (INSTALLED_APPS, ``include()``, CONSUMER_ROUTES)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["agentserver", "streaming", "assistants", "threads", "runs"]
# Apps above runs (each may import any layer below it, and not each other unless listed here).
UPPER = [name for name in ("apiauth", "store", "crons", "interop", "metrics", "mcp_server", "a2a_server", "console")
         if (ROOT / name / "__init__.py").exists()]


def rank(app):
    return LAYERS.index(app) if app in LAYERS else len(LAYERS)


def imports_of(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


def app_modules(app):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def test_every_arrow_between_apps_points_down():
    apps = LAYERS + UPPER
    upward = []
    for app in apps:
        for path in app_modules(app):
            for target, line in imports_of(path):
                if target in apps and target != app and rank(target) >= rank(app):
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert upward == []


def test_the_event_log_knows_no_app_above_it():
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in app_modules("streaming")
        for target, line in imports_of(path)
        if target in ("runs", "threads", "assistants")
    ]
    assert found == []
