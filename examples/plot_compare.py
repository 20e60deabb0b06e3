"""
Compared with MLPClassifier and LogisticRegression
==================================================

Cross-validated accuracy and fit time of ``TinyNetClassifier``,
``MLPClassifier`` and ``LogisticRegression``, all with default parameters in a
``StandardScaler`` pipeline, on three of scikit-learn's bundled data sets.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier

estimators = {
    "TinyNetClassifier": TinyNetClassifier(random_state=0),
    "MLPClassifier": MLPClassifier(max_iter=500, random_state=0),
    "LogisticRegression": LogisticRegression(max_iter=1000),
}
datasets = {
    "digits": load_digits,
    "breast_cancer": load_breast_cancer,
    "wine": load_wine,
}
cv = StratifiedKFold(5, shuffle=True, random_state=0)
accuracy = {name: [] for name in estimators}
fit_time = {name: [] for name in estimators}
for load in datasets.values():
    X, y = load(return_X_y=True)
    for name, estimator in estimators.items():
        start = time.perf_counter()
        result = cross_validate(make_pipeline(StandardScaler(), estimator), X, y, cv=cv)
        accuracy[name].append(result["test_score"].mean())
        fit_time[name].append(result["fit_time"].sum())

fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(11, 4))
width = 0.25
positions = np.arange(len(datasets))
for i, name in enumerate(estimators):
    ax_acc.bar(positions + i * width, accuracy[name], width, label=name)
    ax_time.bar(positions + i * width, fit_time[name], width, label=name)
for ax in (ax_acc, ax_time):
    ax.set_xticks(positions + width, list(datasets))
ax_acc.set_ylim(0.9, 1.0)
ax_acc.set_ylabel("5-fold CV accuracy")
ax_time.set_ylabel("total fit time of 5 folds (s)")
ax_acc.legend(loc="lower right")
fig.tight_layout()
plt.show()
for name in estimators:
    print(f"{name:>20}: " + ", ".join(f"{a:.4f}" for a in accuracy[name]))
