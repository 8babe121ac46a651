"""The README's "Talk to it" example runs as a script, unchanged but for the server's address."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def talk_to_it_example():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Talk to it"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_talk_to_it_example_runs_as_a_script(agent_server, tmp_path):
    script = tmp_path / "talk.py"
    script.write_text(talk_to_it_example().replace("http://127.0.0.1:8000", agent_server.url))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "metadata" in result.stdout and "values" in result.stdout and "hi" in result.stdout
