"""
The tutorial networks, reproduced
=================================

Trask's 2-layer network and Cavar's 3-layer XOR network, trained by
``TinyNetClassifier`` configured like the tutorials, with their learned
weights drawn. The printed figures are the tutorials' own.
"""

# %%
# The 2-layer network: ``l1 = nonlin(l0 @ syn0)``, 9,999 summed updates
# -------------------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_tinynet.tutorial import (
    CAVAR_WH,
    TRASK_OUTPUT,
    TRASK_UPDATES,
    Y_FIRST_COLUMN,
    Y_XOR,
    X,
    tutorial_classifier,
)

two_layer = tutorial_classifier(TRASK_UPDATES, hidden_layer_sizes=(), init="uniform")
two_layer.fit(X, Y_FIRST_COLUMN)
print("tutorial:", TRASK_OUTPUT)
print("TinyNet: ", two_layer.predict_proba(X)[:, 1].round(8))

# %%
# The 3-layer XOR network: 100,000 updates
# ----------------------------------------
three_layer = tutorial_classifier(100_000).fit(X, Y_XOR)
print(
    "largest relative difference from the printed Wh:",
    np.max(np.abs(three_layer.coefs_[0] / CAVAR_WH - 1)),
)

# %%
# The learned weights: ``syn0`` of the 2-layer network, ``syn0`` and ``syn1``
# of the 3-layer one. Rows are the inputs (the third is the constant 1 that
# plays the bias), columns the units they feed.
fig, axes = plt.subplots(1, 3, figsize=(9, 3), width_ratios=[1, 4, 1])
panels = [
    (two_layer.coefs_[0], "2-layer: syn0 (3 x 1)"),
    (three_layer.coefs_[0], "3-layer: syn0 (3 x 4)"),
    (three_layer.coefs_[1], "3-layer: syn1 (4 x 1)"),
]
for ax, (W, title) in zip(axes, panels):
    bound = np.abs(W).max()
    image = ax.imshow(W, cmap="RdBu_r", vmin=-bound, vmax=bound)
    for (i, j), w in np.ndenumerate(W):
        ax.text(j, i, f"{w:.1f}", ha="center", va="center", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.set_xticks(range(W.shape[1]))
    ax.set_yticks(range(W.shape[0]))
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()
