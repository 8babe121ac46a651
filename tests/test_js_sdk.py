"""The newest JS SDK (@langchain/langgraph-sdk, pinned in tests/js/package.json) against the live
server: protocol v2 ``threads.stream()``, create-then-join and the ``events`` mode (tests/js/*.test.mjs).

Needs Node.js and npm (``npm install`` runs here when tests/js/node_modules is missing). Without
them the test is skipped, except under ``CI=true``, where it fails."""
import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

JS_DIR = ROOT / "tests" / "js"


def _require(tool):
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} not found: the JS SDK tests need Node.js and npm"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def node():
    node, npm = _require("node"), _require("npm")
    if not (JS_DIR / "node_modules" / "@langchain" / "langgraph-sdk").is_dir():
        command = "ci" if (JS_DIR / "package-lock.json").is_file() else "install"
        subprocess.run([npm, command, "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, timeout=300)
    return node


@pytest.mark.parametrize("script", sorted(p.name for p in JS_DIR.glob("*.test.mjs")))
def test_js_sdk(node, base_url, script):
    result = subprocess.run([node, "--test", "--test-reporter=spec", script], cwd=JS_DIR, timeout=300,
                            env={**os.environ, "AGENTSERVER_URL": base_url}, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
