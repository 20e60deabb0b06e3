"""
Grid search over hidden sizes and alpha
=======================================

``TinyNetClassifier`` in a ``Pipeline`` with ``StandardScaler``, grid-searched
on scikit-learn's digits with 3-fold shuffled cross-validation. The heat map
shows the mean accuracy of every pair of ``hidden_layer_sizes`` and
``alpha``.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier

X, y = load_digits(return_X_y=True)
hidden_sizes = [(8,), (32,), (64,)]
alphas = [1e-3, 0.5, 2.0]
search = GridSearchCV(
    make_pipeline(StandardScaler(), TinyNetClassifier(random_state=0)),
    {
        "tinynetclassifier__hidden_layer_sizes": hidden_sizes,
        "tinynetclassifier__alpha": alphas,
    },
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    n_jobs=1,
).fit(X, y)

scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(hidden_sizes))
fig, ax = plt.subplots(figsize=(6, 4.5))
image = ax.imshow(scores, cmap="viridis")
for (i, j), score in np.ndenumerate(scores):
    ax.text(j, i, f"{score:.3f}", ha="center", va="center", color="w")
ax.set_xticks(range(len(hidden_sizes)), [str(h) for h in hidden_sizes])
ax.set_yticks(range(len(alphas)), [str(a) for a in alphas])
ax.set_xlabel("hidden_layer_sizes")
ax.set_ylabel("alpha")
fig.colorbar(image, label="mean CV accuracy")
plt.show()
print("best:", search.best_params_, round(search.best_score_, 4))
