"""The full-batch loss and gradient, summed over blocks of rows on local threads.

An engine holds the training rows and computes ``theta -> (loss, grad)`` for
the solvers: the weighted mean loss over all rows plus the L2 penalty, and its
gradient. Rows are split into blocks, so that a block's activations stay
small; blocks are dealt round-robin to a fixed number of lanes, and threads
only decide who computes a lane, so results are bit-identical for any number
of threads.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import threadpoolctl

from . import _inplace

# Rows per block: n / N_LANES, within [MIN_BLOCK_ROWS, BLOCK_ROWS]. The
# products keep enough rows to run at BLAS speed and the per-block Python
# overhead stays negligible. Blocks depend on n only, never on the threads.
# Below BLOCK_ROWS rows, n / 2 (at least MIN_BLOCK_ROWS): on blocks of 256
# rows the small operations that hold Python's lock kept two threads from
# gaining more than 10 %, and two lanes made 5-fold CV on digits, the noisy
# and the imbalanced sets 1.3 to 1.5 times faster (docs/defaults.rst).
BLOCK_ROWS = 4096
MIN_BLOCK_ROWS = 256
# Below this many activations (rows x widest layer), one block on one thread.
SINGLE_BLOCK_VALUES = 2**17
N_LANES = 8


def rows_per_block(n_rows, layer_units):
    if n_rows * max(layer_units) <= SINGLE_BLOCK_VALUES:
        return n_rows  # too little work to share between threads
    if n_rows < BLOCK_ROWS:
        return max(-(-n_rows // 2), MIN_BLOCK_ROWS)  # two lanes
    return min(max(-(-n_rows // N_LANES), MIN_BLOCK_ROWS), BLOCK_ROWS)


def effective_n_threads(n_jobs):
    """Threads for the lanes: all cores for None or -1, all but one for -2, ...

    At most N_LANES, at least 1.
    """
    n_cores = os.cpu_count() or 1
    if n_jobs is None:
        n_jobs = -1
    if n_jobs < 0:
        n_jobs = n_cores + 1 + n_jobs
    return min(max(n_jobs, 1), N_LANES)


# --- BLAS held to one thread while any engine runs ----------------------------
# The lanes are the parallelism, and BLAS's own threading would make results
# depend on the number of threads. Overlapping fits in several threads share
# one limit, set by the first to start and restored by the last to finish.
# threadpoolctl (>= 3.8) lets only one thread at a time set OpenBLAS's
# process-wide limit, until that thread lets go: each change here lets go at
# once, so that whichever thread finishes last can restore the limit.

_blas = {"lock": threading.Lock(), "users": 0, "limiter": None}


def _let_go_of_blas():
    let_go = getattr(threadpoolctl.OpenBLASController, "clear_controlling_thread", None)
    if let_go is not None:
        let_go()  # only if this thread holds it


def _reset_blas_state_in_child():
    # A forked child runs none of its parent's fits: give it back the limits
    # that the parent's running fits had changed.
    limiter = _blas["limiter"]
    _blas.update(lock=threading.Lock(), users=0, limiter=None)
    if limiter is not None:
        limiter.restore_original_limits()
        _let_go_of_blas()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_blas_state_in_child)


def _hold_blas_single_threaded():
    with _blas["lock"]:
        if _blas["users"] == 0:
            controller = threadpoolctl.ThreadpoolController()
            _blas["limiter"] = controller.limit(limits=1, user_api="blas")
            _let_go_of_blas()
        _blas["users"] += 1


def _release_blas():
    with _blas["lock"]:
        _blas["users"] -= 1
        if _blas["users"] == 0:
            _blas["limiter"].restore_original_limits()
            _let_go_of_blas()
            _blas["limiter"] = None


# --- predictions: blocks of rows, on threads -------------------------------


# Rows per block of a prediction: a power of two, with at most this many
# activations in a block's widest layer. A block's product X[rows] @ W equals
# those rows of X @ W bit for bit when every block but the last has a
# power-of-two number of rows and the last takes the remainder (measured
# with OpenBLAS; a short last block on its own rounds differently).
PREDICT_BLOCK_VALUES = 2**19


def predict_block_rows(layer_units):
    rows = PREDICT_BLOCK_VALUES // max(layer_units)
    return int(min(max(2 ** int(np.log2(max(rows, 1))), MIN_BLOCK_ROWS), BLOCK_ROWS))


def in_blocks(compute, X, layer_units, n_threads):
    """``compute(X[rows], start)`` of blocks of ``predict_block_rows`` rows
    (the last with the remainder), stacked into one array: the layers of one
    block at a time in memory.

    Blocks are independent, so the result is the same for any number of
    threads, and equal to ``compute(X, 0)``, the one block of fewer than
    twice the block's rows.
    """
    n_rows = X.shape[0]
    block_rows = predict_block_rows(layer_units)
    bounds = list(range(0, n_rows - block_rows + 1, block_rows))[1:] + [n_rows]
    if len(bounds) == 1:
        return compute(X, 0)
    # BLAS on one thread for every block, so that any number of threads
    # gives the same products
    _hold_blas_single_threaded()
    try:
        return _blocks(compute, X, bounds, n_threads)
    finally:
        _release_blas()


def _blocks(compute, X, bounds, n_threads):
    first = compute(X[: bounds[0]], 0)
    out = np.empty((X.shape[0], *first.shape[1:]), dtype=first.dtype)
    out[: bounds[0]] = first
    stops = dict(zip(bounds[:-1], bounds[1:]))

    def run(start):
        out[start : stops[start]] = compute(X[start : stops[start]], start)

    starts = bounds[:-1]
    n_threads = min(n_threads, len(starts))
    if n_threads == 1:
        for start in starts:
            run(start)
        return out
    errors = np.geterr()  # numpy's error state is per thread

    def run_with_errors(start):
        with np.errstate(**errors):
            run(start)

    with ThreadPoolExecutor(n_threads) as pool:
        list(pool.map(run_with_errors, starts))
    return out


# --- the flat parameter vector -------------------------------------------------


class ParameterLayout:
    """Every weight and bias as views into one flat vector.

    ``theta`` is laid out as [W0.ravel(), b0, W1.ravel(), b1, ...], the biases
    left out when ``fit_intercept`` is False. Updating ``theta`` in place
    updates the views.
    """

    def __init__(self, layer_units, fit_intercept):
        self.layer_units = list(layer_units)
        self.fit_intercept = fit_intercept
        self.shapes = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        self.size = sum(
            fan_in * fan_out + (fan_out if fit_intercept else 0)
            for fan_in, fan_out in self.shapes
        )

    def views(self, flat, xp=np):
        """(coefs, intercepts): per-layer views into ``flat``."""
        coefs, intercepts = [], []
        start = 0
        for fan_in, fan_out in self.shapes:
            stop = start + fan_in * fan_out
            coefs.append(xp.reshape(flat[start:stop], (fan_in, fan_out)))
            start = stop
            if self.fit_intercept:
                intercepts.append(flat[start : start + fan_out])
                start += fan_out
            else:
                intercepts.append(None)
        return coefs, intercepts


def target_block(targets, rows, n_outputs, dtype, xp=np):
    """Rows of the (n_samples, n_outputs) target matrix.

    ``targets`` is that matrix (multilabel), or a vector of class codes that
    is expanded here one block at a time to keep memory bounded.
    """
    block = targets[rows, ...]
    if block.ndim == 1 and n_outputs > 1 and isinstance(block, np.ndarray):
        Y = np.zeros((block.shape[0], n_outputs), dtype=dtype)
        Y[np.arange(block.shape[0]), block] = 1  # one-hot
        return Y
    if block.ndim == 1 and n_outputs > 1:
        classes = xp.arange(n_outputs, dtype=block.dtype, device=block.device)
        block = block[:, None] == classes[None, :]  # one-hot
    elif block.ndim == 1:
        block = block[:, None]
    if isinstance(block, np.ndarray):
        return block.astype(dtype)
    return xp.astype(block, dtype)


def add_l2_penalty(grad, coefs, alpha, layout, xp):
    """alpha/2 * sum ||W||**2; its gradient alpha * W is added to ``grad``."""
    penalty = 0.0
    coef_grads, _ = layout.views(grad, xp)
    for W, W_grad in zip(coefs, coef_grads):
        penalty += 0.5 * alpha * float(xp.sum(W * W))
        W_grad += alpha * W
    return penalty


def mean_gradient_variance(part_grads, part_weights, along):
    """The variances of a sample's mean gradient along ``along`` and
    orthogonal to it, from the gradient sums of L disjoint parts of the
    sample.

    ``part_grads`` is (L, size), part l's weighted gradient sum G_l;
    ``part_weights`` (L,) their weights W_l, summing to 1. Each part's mean
    G_l / W_l has a covariance about Sigma / W_l, so the mean gradient
    g = sum_l G_l has about Sigma, estimated by
    sum_l W_l (G_l / W_l - g)(G_l / W_l - g)' / (L - 1). Returns
    ``(v' Sigma v, trace(P Sigma P))`` for v = ``along`` and P the
    projection orthogonal to it; None for fewer than 2 parts.
    """
    kept = part_weights > 0
    part_grads, part_weights = part_grads[kept], part_weights[kept]
    if len(part_weights) < 2:
        return None
    deviations = part_grads / part_weights[:, None] - part_grads.sum(axis=0)
    on_along = deviations @ along  # (L,)
    squared = np.einsum("ij,ij->i", deviations, deviations)
    orthogonal = squared - on_along**2 / float(along @ along)
    n = len(part_weights) - 1
    return float(part_weights @ on_along**2) / n, float(part_weights @ orthogonal) / n


class LocalEngine:
    """``theta -> (loss, grad)`` over the rows of X, on this machine's threads.

    Parameters
    ----------
    net : _network.Network
    layout : ParameterLayout
    X : (n_rows, n_features) array of namespace ``xp``, or scipy.sparse CSR
    targets : (n_rows,) class codes or (n_rows, n_outputs) indicator matrix
    weights : (n_rows,) per-row weights summing to 1: the loss is a mean
    alpha : L2 penalty, already divided by the total sample weight
    n_threads : threads for the lanes, used inside ``with engine:``
    inplace : whether to run ``_inplace``'s numpy speed-ups; default: for
        numpy arrays
    block_rows : rows per block; default: ``rows_per_block``, or with
        ``all_lanes``, the rows dealt evenly to all lanes
    all_lanes : whether to use every lane even for few rows, so that
        ``gradient_variance`` has parts to compare (numpy only)
    """

    def __init__(
        self,
        net,
        layout,
        X,
        targets,
        weights,
        *,
        alpha=0.0,
        n_threads=1,
        xp=np,
        device=None,
        inplace=None,
        block_rows=None,
        all_lanes=False,
    ):
        self.net, self.layout = net, layout
        self.X, self.targets, self.weights = X, targets, weights
        self.alpha, self.n_threads = alpha, n_threads
        self.xp, self.device = xp, device
        self.dtype = X.dtype
        on_device = {} if device is None else {"device": device}
        self.grad = xp.zeros(layout.size, dtype=self.dtype, **on_device)
        self.inplace = isinstance(self.grad, np.ndarray) if inplace is None else inplace
        self.n_rows = X.shape[0]
        if block_rows is None and all_lanes:
            block_rows = max(-(-self.n_rows // N_LANES), 1)
        self.block_rows = block_rows or rows_per_block(self.n_rows, layout.layer_units)
        self.starts = range(0, self.n_rows, self.block_rows)
        self.n_lanes = min(N_LANES, len(self.starts))
        self._single_block = None
        self._workspaces = {}
        self._lane_grads = None
        self._lane_weights = None
        self._pool, self._pool_threads = None, 1

    def __enter__(self):
        _hold_blas_single_threaded()
        self._pool_threads = min(self.n_threads, self.n_lanes) if self.inplace else 1
        if self._pool_threads > 1:
            self._pool = ThreadPoolExecutor(self._pool_threads)
        return self

    def __exit__(self, *exc_info):
        if self._pool is not None:
            self._pool.shutdown()
        self._pool, self._pool_threads = None, 1
        _release_blas()

    def block(self, start):
        """(X, Y, weights) of the block of rows beginning at ``start``."""
        n_outputs = self.layout.layer_units[-1]
        if len(self.starts) == 1:  # all rows, the targets expanded once
            if self._single_block is None:
                Y = target_block(
                    self.targets, slice(None), n_outputs, self.dtype, self.xp
                )
                self._single_block = (self.X, Y, self.weights)
            return self._single_block
        rows = slice(start, min(start + self.block_rows, self.n_rows))
        Y = target_block(self.targets, rows, n_outputs, self.dtype, self.xp)
        return self.X[rows, ...], Y, self.weights[rows]

    def loss(self, theta):
        """The weighted mean loss, without penalty or gradient."""
        coefs, intercepts = self.layout.views(theta, self.xp)
        total = 0.0
        for start in self.starts:
            X, Y, weights = self.block(start)
            if self.inplace:
                total += _inplace.weighted_loss(
                    self.net, coefs, intercepts, X, Y, weights
                )
            else:
                total += self.net.weighted_loss(
                    coefs, intercepts, X, Y, weights, self.xp
                )
        return total

    def loss_and_gradient(self, theta):
        """The weighted mean loss plus the L2 penalty, and its gradient.

        The gradient is the engine's own buffer, overwritten by the next call.
        """
        coefs, intercepts = self.layout.views(theta, self.xp)
        if self.inplace:
            total = self._sum_lanes(coefs, intercepts)
        else:
            # other namespaces (a GPU is parallel within a block): blocks in order
            self.grad[...] = 0
            grads = self.layout.views(self.grad, self.xp)
            total = self._add_blocks(coefs, intercepts, self.starts, *grads)
        if self.alpha:
            total += add_l2_penalty(self.grad, coefs, self.alpha, self.layout, self.xp)
        return total, self.grad

    def gradient_variance(self, along):
        """``mean_gradient_variance`` of the last ``loss_and_gradient`` along
        a vector, from its lanes' sums; None with one lane or for other
        namespaces."""
        if self._lane_grads is None:
            return None
        if self._lane_weights is None:
            lanes = [self.starts[lane :: self.n_lanes] for lane in range(self.n_lanes)]
            self._lane_weights = np.array(
                [sum(float(self.block(i)[2].sum()) for i in lane) for lane in lanes]
            )
        return mean_gradient_variance(self._lane_grads, self._lane_weights, along)

    def _add_blocks(self, coefs, intercepts, starts, coef_grads, intercept_grads):
        """Summed loss of the blocks at ``starts``, in order; gradients added."""
        total = 0.0
        for start in starts:
            X, Y, weights = self.block(start)
            loss, dW, db = self.net.loss_and_gradient(
                coefs, intercepts, X, Y, weights, self.xp
            )
            total += loss
            for grad, block_grad in zip(coef_grads + intercept_grads, dW + db):
                if grad is not None:
                    grad += block_grad
        return total

    def _sum_lanes(self, coefs, intercepts):
        """numpy: each lane sums its blocks in order, then the lanes in order."""
        if self._lane_grads is None:
            self._lane_grads = np.empty((self.n_lanes, self.layout.size), self.dtype)
        lane_grads = self._lane_grads
        lane_grads[...] = 0

        def run_lane(lane, workspace):
            coef_grads, intercept_grads = self.layout.views(lane_grads[lane])
            total = 0.0
            for start in self.starts[lane :: self.n_lanes]:
                X, Y, weights = self.block(start)
                total += _inplace.add_loss_and_gradient(
                    self.net, coefs, intercepts, X, Y, weights,
                    coef_grads, intercept_grads, workspace,
                )  # fmt: skip
            return total

        # numpy's error state is per thread: the workers take the caller's
        errors = np.geterr()

        def run_thread(thread):
            with np.errstate(**errors):
                return run_lanes(thread)

        def run_lanes(thread):
            workspace = self._workspace(thread)
            return [
                (lane, run_lane(lane, workspace))
                for lane in range(thread, self.n_lanes, n_threads)
            ]

        n_threads = self._pool_threads
        if n_threads == 1:
            results = [run_thread(0)]
        else:
            results = list(self._pool.map(run_thread, range(n_threads)))
        lane_losses = dict(pair for result in results for pair in result)
        np.sum(lane_grads, axis=0, out=self.grad)
        return sum(lane_losses[lane] for lane in range(self.n_lanes))

    def _workspace(self, thread):
        if thread not in self._workspaces:
            self._workspaces[thread] = _inplace.Workspace(
                self.layout.layer_units, self.block_rows, self.dtype
            )
        return self._workspaces[thread]
