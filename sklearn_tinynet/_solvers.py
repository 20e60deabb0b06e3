"""Full-batch optimisers over one flat vector holding every weight and bias."""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.optimize
from threadpoolctl import ThreadpoolController

from . import _network

# Rows per block of the full-batch gradient: n / N_LANES, within
# [MIN_BLOCK_ROWS, BLOCK_ROWS]. A block's activations, (rows, layer width),
# stay small while its matrix products keep enough rows to run at BLAS speed
# and the per-block Python overhead stays negligible. The blocks depend on n
# only, never on the number of threads.
BLOCK_ROWS = 4096
MIN_BLOCK_ROWS = 256
# Below this many activations (rows x widest layer), one block on one thread.
SINGLE_BLOCK_VALUES = 2**17
# Blocks are dealt round-robin to a fixed number of lanes; each lane sums its
# blocks' gradients in order, then the lanes are summed in order. Threads only
# decide who computes a lane, so results are bit-identical for any n_threads.
N_LANES = 8

_executors = {}
_blas_controller = None


def _executor(n_threads):
    if n_threads not in _executors:
        _executors[n_threads] = ThreadPoolExecutor(n_threads)
    return _executors[n_threads]


def blas_single_threaded():
    """BLAS held to one thread: the lanes are the parallelism, and BLAS's own
    threading would make results depend on the number of threads."""
    global _blas_controller
    if _blas_controller is None:
        _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")


def effective_n_threads(n_jobs):
    """Threads for the lanes: all cores for None or -1, at most N_LANES."""
    n_cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs < 0:
        n_jobs = max(n_cores + 1 + (n_jobs or -1), 1)
    return min(n_jobs, N_LANES)


def target_block(targets, rows, n_outputs, dtype, xp=np):
    """Rows of the (n_samples, n_outputs) target matrix.

    ``targets`` is either that matrix (multilabel) or a vector of class
    codes, expanded here one block at a time to keep memory bounded.
    """
    if isinstance(targets, np.ndarray):
        if targets.ndim == 2:
            return np.asarray(targets[rows], dtype=dtype)
        codes = targets[rows]
        if n_outputs == 1:
            return codes[:, None].astype(dtype)
        Y = np.zeros((len(codes), n_outputs), dtype=dtype)
        Y[np.arange(len(codes)), codes] = 1  # one-hot
        return Y
    if targets.ndim == 2:
        return xp.astype(targets[rows, ...], dtype)
    codes = targets[rows]
    if n_outputs == 1:
        return xp.astype(codes[:, None], dtype)
    classes = xp.arange(n_outputs, dtype=codes.dtype, device=codes.device)
    return xp.astype(codes[:, None] == classes[None, :], dtype)  # one-hot


class FlatNetwork:
    """Parameters of a network as views into one flat vector.

    ``theta`` is laid out as [W0.ravel(), b0, W1.ravel(), b1, ...]; the
    biases are left out when ``fit_intercept`` is False. ``coefs`` and
    ``intercepts`` are views into ``theta``, so an optimiser that updates
    ``theta`` in place updates the network.
    """

    def __init__(
        self,
        layer_units,
        fit_intercept,
        dtype,
        n_threads=1,
        block_rows=None,
        xp=np,
        device=None,
    ):
        self.layer_units = list(layer_units)
        self.fit_intercept = fit_intercept
        self.xp, self.device = xp, device
        self.dtype = dtype
        self.n_threads = n_threads
        self.block_rows = block_rows
        self.shapes = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        n_params = sum(
            fan_in * fan_out + (fan_out if fit_intercept else 0)
            for fan_in, fan_out in self.shapes
        )
        on_device = {} if device is None else {"device": device}
        self.theta = xp.zeros(n_params, dtype=dtype, **on_device)
        self.grad = xp.zeros(n_params, dtype=dtype, **on_device)
        self.coefs, self.intercepts = self.views(self.theta)
        self.coef_grads, self.intercept_grads = self.views(self.grad)
        self._lane_grads = None
        self._expanded_targets = None
        self._workspaces = {}

    def views(self, flat):
        """Split a flat vector into per-layer (coefs, intercepts) views."""
        coefs, intercepts = [], []
        start = 0
        for fan_in, fan_out in self.shapes:
            stop = start + fan_in * fan_out
            coefs.append(self.xp.reshape(flat[start:stop], (fan_in, fan_out)))
            start = stop
            if self.fit_intercept:
                intercepts.append(flat[start : start + fan_out])
                start += fan_out
            else:
                intercepts.append(None)
        return coefs, intercepts

    def copy_theta(self):
        if isinstance(self.theta, np.ndarray):
            return self.theta.copy()
        return self.xp.asarray(self.theta, copy=True)

    def rows_per_block(self, n_rows):
        if self.block_rows:
            return self.block_rows
        if n_rows * max(self.layer_units) <= SINGLE_BLOCK_VALUES:
            return n_rows  # too little work to share between threads
        return min(max(-(-n_rows // N_LANES), MIN_BLOCK_ROWS), BLOCK_ROWS)

    def _workspace(self, thread, rows):
        workspace = self._workspaces.get(thread)
        if workspace is None or workspace.layers[0].shape[0] < rows:
            workspace = _network.Workspace(self.layer_units, rows, self.dtype)
            self._workspaces[thread] = workspace
        return workspace

    def loss(self, X, targets, weights, activation, out_activation, loss):
        """Weighted mean loss over all rows, without penalty or gradient."""
        total = 0.0
        block_rows = self.rows_per_block(X.shape[0])
        for start in range(0, X.shape[0], block_rows):
            rows = slice(start, min(start + block_rows, X.shape[0]))
            Y = target_block(targets, rows, self.layer_units[-1], self.dtype, self.xp)
            total += _network.weighted_loss(
                self.coefs,
                self.intercepts,
                X[rows, ...],
                Y,
                weights[rows],
                activation,
                out_activation,
                loss,
                self.xp,
            )
        return total

    def _blocks_loss_and_gradient(
        self,
        X,
        targets,
        weights,
        activation,
        out_activation,
        loss,
        starts,
        block_rows,
        coef_grads,
        intercept_grads,
        workspace=None,
    ):
        """Summed loss of the blocks beginning at ``starts``, in order; their
        gradients are added to ``coef_grads`` and ``intercept_grads``."""
        total = 0.0
        for start in starts:
            rows = slice(start, min(start + block_rows, X.shape[0]))
            total += _network.loss_and_gradient(
                self.coefs,
                self.intercepts,
                X[rows, ...],
                target_block(targets, rows, self.layer_units[-1], self.dtype, self.xp),
                weights[rows],
                activation,
                out_activation,
                loss,
                coef_grads,
                intercept_grads,
                workspace,
                self.xp,
            )
        return total

    def _lanes_loss_and_gradient(
        self, X, targets, weights, activation, out_activation, loss, block_rows
    ):
        starts = range(0, X.shape[0], block_rows)
        n_lanes = min(N_LANES, len(starts))
        if self._lane_grads is None or len(self._lane_grads) < n_lanes:
            self._lane_grads = np.empty((n_lanes, self.theta.size), self.dtype)
        lane_grads = self._lane_grads[:n_lanes]
        lane_grads[:] = 0
        n_threads = min(self.n_threads, n_lanes)

        def run_lane(lane, thread):
            return self._blocks_loss_and_gradient(
                X,
                targets,
                weights,
                activation,
                out_activation,
                loss,
                starts[lane::n_lanes],
                block_rows,
                *self.views(lane_grads[lane]),
                self._workspace(thread, block_rows),
            )

        def run_thread(thread):
            return [
                (lane, run_lane(lane, thread))
                for lane in range(thread, n_lanes, n_threads)
            ]

        if n_threads == 1:
            results = [run_thread(0)]
        else:
            results = list(_executor(n_threads).map(run_thread, range(n_threads)))
        lane_losses = dict(pair for result in results for pair in result)
        np.sum(lane_grads, axis=0, out=self.grad)
        return sum(lane_losses[lane] for lane in range(n_lanes))

    def loss_and_gradient(
        self, X, targets, weights, activation, out_activation, loss, alpha
    ):
        """Weighted mean loss over all rows plus the L2 penalty; fills ``grad``.

        ``weights`` (n_samples,) must sum to 1, and ``alpha`` be divided by
        the total sample weight, so that the loss is a weighted mean.
        """
        block_rows = self.rows_per_block(X.shape[0])
        if X.shape[0] <= block_rows:
            # one block: no lanes or threads, and the targets expanded once
            if (
                self._expanded_targets is None
                or self._expanded_targets[0] is not targets
            ):
                Y = target_block(
                    targets, slice(None), self.layer_units[-1], self.dtype, self.xp
                )
                self._expanded_targets = (targets, Y)
            self.grad[...] = 0
            total = _network.loss_and_gradient(
                self.coefs,
                self.intercepts,
                X,
                self._expanded_targets[1],
                weights,
                activation,
                out_activation,
                loss,
                self.coef_grads,
                self.intercept_grads,
                xp=self.xp,
            )
        elif isinstance(self.theta, np.ndarray):
            total = self._lanes_loss_and_gradient(
                X, targets, weights, activation, out_activation, loss, block_rows
            )
        else:
            # other namespaces (a GPU is parallel within a block): blocks in order
            self.grad[...] = 0
            total = self._blocks_loss_and_gradient(
                X,
                targets,
                weights,
                activation,
                out_activation,
                loss,
                range(0, X.shape[0], block_rows),
                block_rows,
                self.coef_grads,
                self.intercept_grads,
            )
        if alpha:
            total += _network.add_l2_penalty(
                self.coefs, self.coef_grads, alpha, self.xp
            )
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
            self.velocity = -self.learning_rate * grad  # momentum * 0 - lr * grad
        else:
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
