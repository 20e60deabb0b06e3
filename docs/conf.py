"""Sphinx configuration: numpydoc API reference, sphinx-gallery, pydata theme."""

import os
import sys
from pathlib import Path

import sklearn_tinynet

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

project = "sklearn-tinynet"
author = "The sklearn-tinynet developers"
copyright = "2026, the sklearn-tinynet developers"
version = release = sklearn_tinynet.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = {
    "all",
    "GL01",
    "GL02",
    "ES01",
    "SA01",
    "EX01",
    "SS05",
    "RT02",
    "PR09",
    "RT03",
    "SS06",
    "GL08",
    "SA04",
}
numpydoc_validation_exclude = {
    r"\.__init__$",
    r"\.set_.*_request$",
    r"\.get_metadata_routing$",
    r"\.set_params$",
    r"\.get_params$",
    r"\.set_callbacks$",
}
numpydoc_xref_param_type = False

os.environ.setdefault("MPLBACKEND", "Agg")


def write_benchmark_tables():
    """docs/generated/*_tables.rst from benchmarks/results/*.json."""
    import json

    results = HERE.parent / "benchmarks" / "results"
    out = HERE / "generated"
    out.mkdir(exist_ok=True)

    def table(title, columns, rows):
        lines = [
            title,
            "-" * len(title),
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "",
        ]
        lines.append("   * - " + "\n     - ".join(label for label, _ in columns))
        for row in rows:
            cells = [fmt(row) for _, fmt in columns]
            lines.append("   * - " + "\n     - ".join(cells))
        return "\n".join(lines) + "\n\n"

    epoch = json.loads((results / "epoch.json").read_text())
    memory = json.loads((results / "memory.json").read_text())
    shapes = {"narrow": "narrow", "main": "medium", "wide": "wide"}
    text = table(
        "Time per epoch (bench_epoch.py)",
        [
            ("data", lambda r: shapes.get(r["shape"], r["shape"])),
            ("dtype", lambda r: r["dtype"]),
            ("rows n", lambda r: f"{r['n']:,}"),
            ("features, hidden, classes", lambda r: f"{r['d']}, {r['h']}, {r['k']}"),
            ("speed-up over MLP", lambda r: f"{r['mlp_over_tiny']:.2f}"),
            ("products' share", lambda r: f"{r['roofline']:.2f}"),
            ("products' share, in blocks", lambda r: f"{r['roofline_blocked']:.2f}"),
        ],
        epoch["rows"],
    )
    text += (
        "*Speed-up over MLP*: epoch time of ``MLPClassifier(solver='sgd', "
        "batch_size=n, momentum=0, shuffle=False, activation='logistic')`` over "
        "that of ``TinyNetClassifier(solver='gd', momentum=0)`` (above 1: "
        "TinyNet is faster). *Products' share*: the time of the epoch's five "
        "matrix products alone, on the whole arrays, over TinyNet's epoch time; "
        "near 1, the epoch costs little more than its matrix products (a value "
        "above 1 means TinyNet's threads beat one large product). *In blocks*: "
        "the same products computed over blocks of rows on the same threads. "
        "How epoch time grows with n, h and d (slope of log time against log "
        "size; 1 is proportional): "
        + ", ".join(f"{k} {v:.2f}" for k, v in epoch["slopes"].items())
        + ".\n\n"
    )
    text += table(
        f"Extra peak memory of fit, n={memory['args']['n']:,} float32 "
        "(bench_memory.py)",
        [
            ("estimator", lambda r: f"``{r['estimator']}``"),
            ("extra MB", lambda r: f"{r['extra_peak_MB']:.0f}"),
            ("x X.nbytes", lambda r: f"{r['extra_over_X']:.3f}"),
        ],
        memory["rows"],
    )
    (out / "benchmark_tables.rst").write_text(text)

    array_api = json.loads((results / "array_api.json").read_text())
    (out / "array_api_table.rst").write_text(
        table(
            f"Epoch time on torch {array_api['torch']} against numpy",
            [
                ("dtype", lambda r: r["dtype"]),
                ("n", lambda r: f"{r['n']:,}"),
                ("device", lambda r: r["device"]),
                ("numpy / torch", lambda r: f"{r['numpy_over_torch']:.2f}"),
            ],
            array_api["rows"],
        )
        + "d = h = 100, k = 10, ``solver='gd'``; above 1, torch is faster.\n"
    )


write_benchmark_tables()
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = "sklearn-tinynet"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
# Top-level pages have no subpages: no empty "Section Navigation" column beside
# them. The gallery and the API reference keep theirs.
html_sidebars = {"*": []}
templates_path = ["_templates"]
exclude_patterns = ["_build"]
