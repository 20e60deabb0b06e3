"""The demo, ``python -m sklearn_tinynet``: the tutorials and a grid search."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_the_demo_reproduces_the_tutorials_without_a_warning():
    result = subprocess.run(
        [sys.executable, "-W", "always", "-m", "sklearn_tinynet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr[-3000:]
    assert "Largest relative difference from the tutorials' printed figures" in (
        result.stdout
    )
    assert "four -> four" in result.stdout  # string labels predicted
