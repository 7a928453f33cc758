"""bench/llm_smoke.py, the script operators point at a real server, passes against the fake."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("mode", ["openai", "llamacpp"])
def test_the_smoke_conversations_pass_against_the_strict_fake(mode, tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/llm_smoke.py", "--fake", mode, "--hash-embeddings"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    passed, total = map(int, re.search(r"(\d+)/(\d+) turns passed", result.stdout).groups())
    assert total >= 10 and passed / total >= 0.8, result.stdout
    assert "requests the fake refused: 0" in result.stdout
