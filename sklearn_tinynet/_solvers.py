"""Full-batch optimisers over one flat vector holding every weight and bias."""

import numpy as np
import scipy.optimize

from . import _network

# Rows per block of the full-batch gradient: the activations of one block,
# (block_rows, max layer width), stay small while the matrix products keep
# enough rows to run at BLAS speed.
DEFAULT_BLOCK_ROWS = 4096


class FlatNetwork:
    """Parameters of a network as views into one flat vector.

    ``theta`` is laid out as [W0.ravel(), b0, W1.ravel(), b1, ...]; the
    biases are left out when ``fit_intercept`` is False. ``coefs`` and
    ``intercepts`` are views into ``theta``, so an optimiser that updates
    ``theta`` in place updates the network.
    """

    def __init__(self, layer_units, fit_intercept, dtype):
        self.layer_units = list(layer_units)
        self.fit_intercept = fit_intercept
        self.shapes = []
        for fan_in, fan_out in zip(self.layer_units[:-1], self.layer_units[1:]):
            self.shapes.append((fan_in, fan_out))
        n_params = sum(
            fan_in * fan_out + (fan_out if fit_intercept else 0)
            for fan_in, fan_out in self.shapes
        )
        self.theta = np.zeros(n_params, dtype=dtype)
        self.grad = np.zeros_like(self.theta)
        self.coefs, self.intercepts = self.views(self.theta)
        self.coef_grads, self.intercept_grads = self.views(self.grad)

    def views(self, flat):
        """Split a flat vector into per-layer (coefs, intercepts) views."""
        coefs, intercepts = [], []
        start = 0
        for fan_in, fan_out in self.shapes:
            stop = start + fan_in * fan_out
            coefs.append(flat[start:stop].reshape(fan_in, fan_out))
            start = stop
            if self.fit_intercept:
                intercepts.append(flat[start : start + fan_out])
                start += fan_out
            else:
                intercepts.append(None)
        return coefs, intercepts

    def loss(self, X, Y, weights, activation, out_activation, loss, block_rows=None):
        """Weighted mean loss over all rows, without penalty or gradient."""
        block_rows = block_rows or DEFAULT_BLOCK_ROWS
        return sum(
            _network.weighted_loss(
                self.coefs,
                self.intercepts,
                X[start : start + block_rows],
                Y[start : start + block_rows],
                weights[start : start + block_rows],
                activation,
                out_activation,
                loss,
            )
            for start in range(0, X.shape[0], block_rows)
        )

    def loss_and_gradient(
        self, X, Y, weights, activation, out_activation, loss, alpha, block_rows=None
    ):
        """Weighted mean loss over all rows plus the L2 penalty; fills ``grad``.

        ``weights`` (n_samples,) must sum to 1, and ``alpha`` be divided by
        the total sample weight, so that the loss is a weighted mean.
        """
        block_rows = block_rows or DEFAULT_BLOCK_ROWS
        self.grad[:] = 0
        total = 0.0
        for start in range(0, X.shape[0], block_rows):
            rows = slice(start, start + block_rows)
            total += _network.loss_and_gradient(
                self.coefs,
                self.intercepts,
                X[rows],
                Y[rows],
                weights[rows],
                activation,
                out_activation,
                loss,
                self.coef_grads,
                self.intercept_grads,
            )
        if alpha:
            total += _network.add_l2_penalty(self.coefs, self.coef_grads, alpha)
        return total


class GradientDescent:
    """The tutorial's update ``syn -= learning_rate * grad``, with optional momentum.

    With momentum, ``velocity = momentum * velocity - learning_rate * grad``
    and the step is ``velocity`` (or, with Nesterov's momentum,
    ``momentum * velocity - learning_rate * grad``), as in scikit-learn's
    ``SGDOptimizer``.
    """

    def __init__(self, learning_rate, momentum=0.0, nesterov=False):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = None

    def step(self, theta, grad):
        if not self.momentum:
            theta -= self.learning_rate * grad
            return
        if self.velocity is None:
            self.velocity = np.zeros_like(theta)
        self.velocity *= self.momentum
        self.velocity -= self.learning_rate * grad
        if self.nesterov:
            theta += self.momentum * self.velocity - self.learning_rate * grad
        else:
            theta += self.velocity


def minimize_lbfgs(fun, theta0, max_iter, tol, callback):
    """Full-batch L-BFGS-B through scipy; ``fun(theta) -> (loss, grad)`` in float64.

    ``callback(theta, loss)`` runs after each iteration and may raise
    StopIteration to end the run.
    """
    result = scipy.optimize.minimize(
        fun,
        theta0,
        method="L-BFGS-B",
        jac=True,
        callback=lambda intermediate_result: callback(
            intermediate_result.x, intermediate_result.fun
        ),
        options={"maxiter": max_iter, "maxfun": 15_000, "gtol": tol},
    )
    return result


class NoImprovementStopper:
    """Stop when ``value`` has not improved by ``tol`` for more than ``patience`` calls.

    The rule of scikit-learn's MLP: a value counts as no improvement when it is
    above ``best - tol``.
    """

    def __init__(self, tol, patience):
        self.tol = tol
        self.patience = patience
        self.best = np.inf
        self.count = 0

    def update(self, value):
        """Record ``value``; return (is_new_best, should_stop)."""
        self.count = self.count + 1 if value > self.best - self.tol else 0
        is_new_best = value < self.best
        if is_new_best:
            self.best = value
        return is_new_best, self.count > self.patience
