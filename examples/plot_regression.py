"""
Regression: a curve, and counts with the log link
=================================================

``TinyNetRegressor`` is the classifier's network and training with an output
layer for numbers. With the default ``loss='squared_error'`` the output is
the last layer's logits themselves; with ``loss='poisson'`` it is their
exponential, the log link of Poisson regression, for counts.
"""

# %%
# A noisy curve
# -------------
# One input, a sine wave plus noise. The targets are in their own units
# (around 100, spread 20): the regressor standardises them internally and
# folds the scale back into its last layer, so ``coefs_`` predict y itself.
# The default penalty, ``alpha=1``, suits noisy targets; on 200 rows of a
# smooth curve it flattens the waves, and ``alpha=0.1`` follows them.

import matplotlib.pyplot as plt
import numpy as np

from sklearn_tinynet import TinyNetRegressor

rng = np.random.RandomState(0)
X = np.sort(rng.uniform(-3, 3, size=(200, 1)), axis=0)
y = 100 + 20 * np.sin(2 * X[:, 0]) + rng.normal(scale=4, size=200)
grid = np.linspace(-3, 3, 300)[:, None]

models = {
    "TinyNetRegressor()": TinyNetRegressor(random_state=0),
    "TinyNetRegressor(alpha=0.1)": TinyNetRegressor(alpha=0.1, random_state=0),
}
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(X[:, 0], y, s=8, color="0.6", label="rows")
for name, model in models.items():
    model.fit(X, y)
    ax.plot(grid[:, 0], model.predict(grid), label=name)
    print(f"{name}: R² {model.score(X, y):.3f} after {model.n_iter_} iterations")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend()
fig.tight_layout()

# %%
# Counts
# ------
# Counts drawn from a rate that grows exponentially with x. The log link fits
# the rate where it is small and where it is large; least squares spends its
# fit on the large counts, whose variance is largest.

x = rng.uniform(-2, 2, size=(500, 1))
rate = np.exp(1 + x[:, 0])
counts = rng.poisson(rate)
poisson = TinyNetRegressor((8,), loss="poisson", random_state=0).fit(x, counts)
squared = TinyNetRegressor((8,), random_state=0).fit(x, counts)

grid = np.linspace(-2, 2, 200)[:, None]
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(x[:, 0], counts, s=6, color="0.6", label="counts")
ax.plot(grid[:, 0], np.exp(1 + grid[:, 0]), "k:", label="true rate")
ax.plot(grid[:, 0], poisson.predict(grid), label="loss='poisson'")
ax.plot(grid[:, 0], squared.predict(grid), "--", label="loss='squared_error'")
ax.set_yscale("symlog")
ax.set_xlabel("x")
ax.set_ylabel("count")
ax.legend()
fig.tight_layout()
plt.show()
