"""The documentation builds without a single warning, gallery included."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="building the docs needs the [docs] extra")
pytest.importorskip("sphinx_gallery", reason="building the docs needs the [docs] extra")
pytest.importorskip("numpydoc", reason="building the docs needs the [docs] extra")

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    html = tmp_path / "html"
    for page in [
        "index",
        "getting_started",
        "user_guide",
        "api",
        "benchmarks",
        "failure",
        "persistence",
        "gpu",
        "cli",
        "dask",
        "architecture",
        "auto_examples/index",
        "auto_examples/plot_regression",
        "auto_examples/plot_xor",
        "auto_examples/plot_speedup",
        "_modules/index",
    ]:
        assert (html / f"{page}.html").is_file(), page
    pages = list((html / "auto_examples").glob("plot_*.html"))
    assert len(pages) >= 6
    images = list((html / "_images").glob("sphx_glr_plot_*.png"))
    assert len(images) >= 6
    # the front page shows the XOR figure, the benchmarks page its headline figure
    index = (html / "index.html").read_text()
    assert "sphx_glr_plot_xor_001.png" in index
    assert "sphx_glr_plot_speedup_001.png" in (html / "benchmarks.html").read_text()
