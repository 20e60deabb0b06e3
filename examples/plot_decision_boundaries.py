"""
Decision boundaries across hidden sizes
=======================================

XOR, moons and circles, learned by networks with no hidden layer and with 2,
4 and 16 sigmoid hidden units. Without a hidden layer the network is a
logistic regression and can only draw a straight line.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles, make_moons
from sklearn.inspection import DecisionBoundaryDisplay

from sklearn_tinynet import TinyNetClassifier

rng = np.random.RandomState(0)
X_xor = rng.uniform(-1, 1, size=(200, 2))
y_xor = (X_xor[:, 0] * X_xor[:, 1] > 0).astype(int)
datasets = {
    "XOR": (X_xor, y_xor),
    "moons": make_moons(200, noise=0.2, random_state=0),
    "circles": make_circles(200, noise=0.1, factor=0.5, random_state=0),
}
sizes = [(), (2,), (4,), (16,)]

fig, axes = plt.subplots(len(datasets), len(sizes), figsize=(11, 8))
for row, (name, (X, y)) in zip(axes, datasets.items()):
    for ax, hidden in zip(row, sizes):
        clf = TinyNetClassifier(hidden, alpha=1e-3, max_iter=1000, random_state=0)
        clf.fit(X, y)
        DecisionBoundaryDisplay.from_estimator(
            clf, X, response_method="predict_proba", cmap="RdBu", alpha=0.6, ax=ax
        )
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolor="k", s=12)
        ax.set_title(f"{name}, hidden={hidden}: {clf.score(X, y):.2f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
fig.tight_layout()
plt.show()
