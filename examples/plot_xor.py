"""
The tutorial's network learning XOR
===================================

Damir Cavar's notebook, after Andrew Trask's "A Neural Network in 11 lines of
Python", trains a network with 4 hidden sigmoid units on four rows whose label
is the XOR of the first two columns. ``TinyNetClassifier`` configured like the
notebook (``sklearn_tinynet.tutorial.tutorial_classifier``) repeats it update
for update. We train it in steps with ``warm_start``, and draw the network's
output for each row as it learns, then what the trained network computes
between the four corners.
"""

# %%
# Train in steps, recording the output for each row
# -------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_tinynet.tutorial import CAVAR_ERRORS, Y_XOR, X, tutorial_classifier

updates = np.unique(np.geomspace(1, 10_000, 60).astype(int))  # 1 ... 10,000
clf = tutorial_classifier(1).set_params(warm_start=True)
outputs, done = [], 0
for n in updates:
    clf.set_params(max_iter=n - done).fit(X, Y_XOR)  # warm start: n - done more
    done = n
    outputs.append(clf.predict_proba(X)[:, 1])
outputs = np.array(outputs)  # (n_checkpoints, 4): l2 for each row

error = np.mean(np.abs(Y_XOR - outputs[-1]))
print(f"mean |error| after 10,000 updates: {error:.10f}")
print(f"Cavar's notebook:                  {CAVAR_ERRORS[10_000]:.10f}")

# %%
# The figure
# ----------
# Left: the output ``l2`` for each row against the number of updates (log
# scale); the two rows labelled 1 rise, the two labelled 0 fall. Right: the
# trained network's output over the square of inputs ``(x1, x2, 1)``, high
# where exactly one input is 1: a decision no single sigmoid unit can draw.
fig, (ax_curve, ax_map) = plt.subplots(1, 2, figsize=(9, 3.6))
for row, label, curve in zip(X, Y_XOR, outputs.T):
    ax_curve.plot(
        updates,
        curve,
        color="tab:red" if label else "tab:blue",
        label=f"x = {row[:2]}, y = {label}",
    )
ax_curve.set_xscale("log")
ax_curve.set_xlabel("full-batch updates")
ax_curve.set_ylabel("output (probability of 1)")
ax_curve.set_ylim(0, 1)
ax_curve.legend(fontsize=8)
ax_curve.set_title("Learning XOR")

grid = np.linspace(-0.25, 1.25, 121)
x1, x2 = np.meshgrid(grid, grid)
inputs = np.column_stack([x1.ravel(), x2.ravel(), np.ones(x1.size)])
surface = clf.predict_proba(inputs)[:, 1].reshape(x1.shape)
image = ax_map.contourf(x1, x2, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
ax_map.scatter(
    X[:, 0], X[:, 1], c=Y_XOR, cmap="RdBu_r", edgecolors="black", s=80, vmin=0, vmax=1
)
ax_map.set_xlabel("x1")
ax_map.set_ylabel("x2")
ax_map.set_title("The trained network's output")
fig.colorbar(image, ax=ax_map)
fig.tight_layout()
plt.show()
