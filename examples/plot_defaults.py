"""
Choosing the defaults
=====================

Figures from the JSON that ``benchmarks/bench_defaults.py``,
``benchmarks/bench_time_to_accuracy.py`` and ``benchmarks/bench_small_data.py``
write: the default parameters of ``TinyNetClassifier``, those of version
0.1.0 and ``LogisticRegression()`` against ``MLPClassifier()`` on twelve data
sets, from 150 rows to 500,000; held-out accuracy against fit time on the
largest one; and the initial weights and penalty on 24 small data sets.
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


results = results_dir()
defaults = json.loads((results / "defaults.json").read_text())
time_to_accuracy = json.loads((results / "time_to_accuracy.json").read_text())
small_data = json.loads((results / "small_data.json").read_text())
BASELINE = "MLPClassifier()"
rows = defaults["rows"]
datasets = list(dict.fromkeys(r["dataset"] for r in rows))
estimators = [e for e in dict.fromkeys(r["estimator"] for r in rows) if e != BASELINE]
cell = {(r["dataset"], r["estimator"]): r for r in rows}

# %%
# Accuracy and fit time against ``MLPClassifier()``
# -------------------------------------------------
# Left: accuracy minus ``MLPClassifier()``'s, in points (5-fold CV under
# 10,000 rows, held-out 20 % above). Right: fit time over
# ``MLPClassifier()``'s. Every estimator follows a ``StandardScaler``.
fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(11, 5), sharey=True)
y_pos = np.arange(len(datasets))
height = 0.8 / len(estimators)
for i, name in enumerate(estimators):
    offset = y_pos + (i - (len(estimators) - 1) / 2) * height
    base = [cell[d, BASELINE] for d in datasets]
    ours = [cell[d, name] for d in datasets]
    gaps = [100 * (o["cv_accuracy"] - b["cv_accuracy"]) for o, b in zip(ours, base)]
    ratios = [o["fit_time_s"] / b["fit_time_s"] for o, b in zip(ours, base)]
    ax_acc.barh(offset, gaps, height, label=name)
    ax_time.barh(offset, ratios, height, label=name)
ax_acc.axvline(-0.5, color="grey", ls=":", lw=1)
ax_acc.set_yticks(y_pos, datasets)
ax_acc.invert_yaxis()
ax_acc.set_xlabel("accuracy - MLPClassifier()'s (points)")
ax_acc.set_xlim(-8, None)
ax_time.axvline(1.0, color="grey", ls=":", lw=1)
ax_time.set_xscale("log")
ax_time.set_xlabel("fit time / MLPClassifier()'s")
ax_time.legend(fontsize=8, loc="lower right")
fig.tight_layout()
plt.show()

# %%
# The table behind the figure
# ---------------------------
# accuracy and fit time of each estimator, in the order of the header
names = [BASELINE, *estimators]
print(f"{'data set':>16} {'rows':>8}  " + "  ".join(f"{e[:22]:>22}" for e in names))
for d in datasets:
    first = cell[d, BASELINE]
    line = f"{d:>16} {first['n_samples']:>8,} "
    line += "  ".join(
        f"{cell[d, e]['cv_accuracy']:>8.4f} {cell[d, e]['fit_time_s']:>11.2f} s"
        for e in names
    )
    print(line)
print()
for row in defaults["summary"]:
    print(
        f"{row['estimator']:>26}: worst gap {row['worst_accuracy_gap_points']:+.2f}"
        f" points ({row['worst_dataset']}), total fit time / MLP's "
        f"{row['time_over_mlp']:.2f}"
    )

# %%
# Held-out accuracy against fit time
# ----------------------------------
# One fit of each, the model scored after every iteration (epoch for adam);
# the dotted line is ``MLPClassifier()``'s final accuracy.
results_tta = time_to_accuracy["datasets"]
fig, axes = plt.subplots(1, len(results_tta), figsize=(7 * len(results_tta), 4.5))
for ax, result in zip(np.atleast_1d(axes), results_tta):
    for label, curve in result["curves"].items():
        ax.plot(curve["time_s"], curve["accuracy"], label=label)
    ax.axhline(result["mlp_final_accuracy"], color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_ylim(max(0.4, result["mlp_final_accuracy"] - 0.25), None)
    ax.set_title(f"{result['dataset']}: {result['n_train']:,} training rows")
    ax.set_xlabel("fit time (s)")
    ax.set_ylabel("held-out accuracy")
    ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()
plt.show()

for row in (row for result in results_tta for row in result["summary"]):
    reached = row["time_to_mlp_accuracy_s"]
    print(
        f"{row['estimator']:>30}: final {row['final_accuracy']:.4f} in "
        f"{row['fit_time_s']:.1f} s; MLPClassifier()'s accuracy "
        + ("never reached" if reached is None else f"at {reached:.1f} s")
        + ("" if reached is None else f" ({row['over_mlp_time']:.2f} of its time)")
    )

# %%
# Small data sets: initial weights and penalty
# --------------------------------------------
# Accuracy minus ``MLPClassifier()``'s, in points, on 24 generated sets of
# 150 to 600 rows (moons, circles, clustered, noisy labels; 5-fold CV).
# Glorot's initial weights start 100 logistic units fed by 2 inputs in the
# sigmoid's nearly linear middle; LeCun's do not.
small_rows = small_data["rows"]
candidates = [
    e["estimator"] for e in small_data["summary"] if e["estimator"] != BASELINE
]
fig, ax = plt.subplots(figsize=(8, 3.5))
for i, name in enumerate(candidates):
    gaps = [100 * (r[name] - r[BASELINE]) for r in small_rows]
    ax.scatter(gaps, np.full(len(gaps), i), alpha=0.6)
ax.axvline(-0.5, color="grey", ls=":", lw=1)
ax.set_yticks(range(len(candidates)), candidates)
ax.invert_yaxis()
ax.set_xlabel("accuracy - MLPClassifier()'s (points), one dot per data set")
fig.tight_layout()
plt.show()

for row in small_data["summary"]:
    print(
        f"{row['estimator']:>34}: mean gap {row['mean_gap_points']:+.2f}, worst "
        f"{row['worst_gap_points']:+.2f} points; within 0.5 points or ahead on "
        f"{row['sets_within_half_a_point']} sets"
    )
