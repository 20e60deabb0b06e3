"""
Training and validation loss with early stopping
================================================

With ``early_stopping=True`` the estimator holds out ``validation_fraction``
of the rows, records the validation loss at every update, stops once it has
not improved for ``n_iter_no_change`` updates, and keeps the weights with the
lowest validation loss. Noisy labels, 100 hidden units and no penalty make the
network overfit: the training loss keeps falling while the validation loss
rises. A long patience (``n_iter_no_change=300``) shows the whole story.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification

from sklearn_tinynet import TinyNetClassifier

X, y = make_classification(
    n_samples=300, n_features=20, n_informative=5, flip_y=0.2, random_state=0
)
clf = TinyNetClassifier(
    (100,),
    solver="gd",
    learning_rate_init=0.2,
    alpha=0.0,
    early_stopping=True,
    validation_fraction=0.3,
    n_iter_no_change=300,
    max_iter=3000,
    random_state=0,
).fit(X, y)

best = int(np.argmin(clf.validation_loss_curve_))
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(clf.loss_curve_, label="training loss")
ax.plot(clf.validation_loss_curve_, label="validation loss")
ax.axvline(best, color="k", linestyle=":", label=f"weights kept (update {best})")
ax.set_xlabel("full-batch update")
ax.set_ylabel("log-loss")
ax.legend()
plt.show()
print(
    f"stopped after {clf.n_iter_} iterations; best validation loss "
    f"{clf.best_validation_loss_:.4f} at update {best}"
)
