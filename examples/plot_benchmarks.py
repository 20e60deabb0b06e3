"""
Benchmark results
=================

Figures from the JSON that the scripts in ``benchmarks/`` write (``python
benchmarks/bench_epoch.py``, ``bench_memory.py``, ``bench_defaults.py``). Every
figure compares ``TinyNetClassifier`` with a baseline measured in the same
process, as medians of interleaved repeats; absolute times are only context.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt


def results_dir():
    for folder in [Path.cwd(), *Path.cwd().parents]:
        candidate = folder / "benchmarks" / "results"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("benchmarks/results not found; run the benchmarks")


results = results_dir()
epoch = json.loads((results / "epoch.json").read_text())
memory = json.loads((results / "memory.json").read_text())

# %%
# Time per epoch
# --------------
# ``TinyNetClassifier(solver='gd')`` against ``MLPClassifier(solver='sgd',
# batch_size=n)`` running the same algorithm, and against the epoch's matrix
# products alone (d=100, h=100, k=10).
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, dtype in zip(axes, ("float32", "float64")):
    rows = [r for r in epoch["rows"] if r["shape"] == "main" and r["dtype"] == dtype]
    ns = [r["n"] for r in rows]
    for key, label in [
        ("tiny_epoch_s", "TinyNetClassifier"),
        ("mlp_epoch_s", "MLPClassifier, full batch"),
        ("matmul_epoch_s", "matrix products alone"),
    ]:
        ax.loglog(ns, [r[key] for r in rows], "o-", label=label)
    ax.set_title(dtype)
    ax.set_xlabel("n_samples")
    ax.grid(True, which="both", alpha=0.3)
axes[0].set_ylabel("seconds per epoch (median)")
axes[0].legend()
fig.tight_layout()
plt.show()

print(f"{'shape':>7} {'dtype':>8} {'n':>8} {'MLP / TinyNet':>14} {'roofline':>9}")
for r in epoch["rows"]:
    print(
        f"{r['shape']:>7} {r['dtype']:>8} {r['n']:>8} {r['mlp_over_tiny']:>14.2f} "
        f"{r['roofline']:>9.2f}"
    )
print("log-log slopes of epoch time:", epoch["slopes"])

# %%
# Extra peak memory of ``fit``
# ----------------------------
fig, ax = plt.subplots(figsize=(7, 2.5))
ax.barh(
    [r["estimator"] for r in memory["rows"]],
    [r["extra_over_X"] for r in memory["rows"]],
)
ax.set_xlabel("extra peak memory / X.nbytes")
ax.set_title(f"n={memory['args']['n']}, float32, X = {memory['X_MB']:.0f} MB")
fig.tight_layout()
plt.show()
