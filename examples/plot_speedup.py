"""
Speed-up over MLPClassifier, by data shape
==========================================

How many times faster an epoch of ``TinyNetClassifier(solver='gd')`` is than
one of ``MLPClassifier(solver='sgd', batch_size=n)``, the same full-batch
algorithm, measured in the same process by ``benchmarks/bench_epoch.py`` (medians
of interleaved repeats, on a shared 2-core machine). Above 1, TinyNet is faster.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np


def results_dir():
    for folder in [Path.cwd(), *Path.cwd().parents]:
        candidate = folder / "benchmarks" / "results"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("benchmarks/results not found; run the benchmarks")


epoch = json.loads((results_dir() / "epoch.json").read_text())
rows = epoch["rows"]
SHAPES = {"narrow": "narrow", "main": "medium", "wide": "wide"}

# one group of bars per (shape, n), one bar per dtype
groups = list(dict.fromkeys((r["shape"], r["n"], r["d"], r["h"]) for r in rows))
groups.sort(key=lambda g: (list(SHAPES).index(g[0]), g[1]))
labels = [f"{SHAPES[s]}\nd={d}, h={h}\nn={n:,}" for s, n, d, h in groups]
x = np.arange(len(groups))

fig, ax = plt.subplots(figsize=(10, 4))
for offset, dtype in [(-0.2, "float32"), (0.2, "float64")]:
    ratio = {
        (r["shape"], r["n"]): r["mlp_over_tiny"] for r in rows if r["dtype"] == dtype
    }
    heights = [ratio[(s, n)] for s, n, _, _ in groups]
    bars = ax.bar(x + offset, heights, width=0.4, label=dtype)
    ax.bar_label(bars, fmt="%.1f", fontsize=7)
ax.axhline(1, color="black", linewidth=0.8)
ax.set_xticks(x, labels, fontsize=7)
ax.set_ylabel("MLPClassifier epoch time / TinyNet's")
ax.set_title(
    "Time per epoch of full-batch gradient descent: speed-up over MLPClassifier"
)
ax.legend()
fig.tight_layout()
plt.show()
