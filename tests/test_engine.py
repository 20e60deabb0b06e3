"""The engine: parameter views, blocks of rows, lanes, threads, BLAS and fork."""

import itertools
import multiprocessing
import os
import threading
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import array_api_compat.numpy as xp
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, log_softmax, softmax
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_tinynet import TinyNetClassifier, _engine, _inplace, _network
from sklearn_tinynet._engine import (
    LocalEngine,
    ParameterLayout,
    effective_n_threads,
    rows_per_block,
    target_block,
)
from sklearn_tinynet._network import Network


def test_views_share_memory_with_theta():
    layout = ParameterLayout([3, 4, 2], fit_intercept=True)
    assert layout.size == 3 * 4 + 4 + 4 * 2 + 2
    theta = np.arange(layout.size, dtype=np.float32)
    coefs, intercepts = layout.views(theta)
    assert coefs[0].shape == (3, 4) and intercepts[1].shape == (2,)
    assert intercepts[0][0] == 12 and coefs[1][0, 0] == 16
    coefs[1][:] = -1
    assert (theta[16:24] == -1).all()
    no_bias = ParameterLayout([3, 4, 2], fit_intercept=False)
    assert no_bias.size == 20 and no_bias.views(np.zeros(20))[1] == [None, None]


def test_target_block_expands_codes_one_block_at_a_time():
    codes = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(
        target_block(codes, slice(1, 3), 3, np.float32), [[1, 0, 0], [0, 1, 0]]
    )
    assert target_block(codes, slice(1, 3), 3, np.float32).dtype == np.float32
    np.testing.assert_array_equal(
        target_block(np.array([1, 0]), slice(0, 2), 1, np.float64), [[1], [0]]
    )
    indicator = np.array([[1, 0], [1, 1]])
    np.testing.assert_array_equal(
        target_block(indicator, slice(1, 2), 2, float), [[1, 1]]
    )


@pytest.mark.parametrize(
    "n_rows, layer_units, expected",
    [
        (1000, [7, 5, 3], 1000),  # 7,000 activations: one block
        (2**17 // 32, [20, 32, 3], 2**17 // 32),  # exactly the limit: one block
        (2**17 // 32 + 1, [20, 32, 3], 513),  # n / 8 rows
        (1500, [20, 100, 3], 750),  # below BLOCK_ROWS rows: two lanes
        (4095, [20, 100, 3], 2048),
        (4096, [20, 100, 3], 512),
        (20_000, [20, 100, 3], 2500),
        (1500, [20, 400, 3], 750),
        (100_000, [20, 32, 3], 4096),  # at most BLOCK_ROWS
        (40, [4000, 4, 1], 256),  # wide, the features counting as a layer:
        (600, [4000, 4, 1], 300),  # two lanes of at least MIN_BLOCK_ROWS
    ],
)
def test_rows_per_block(n_rows, layer_units, expected):
    assert rows_per_block(n_rows, layer_units) == expected


def make_data(n_rows, n_features=7, n_classes=3, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, n_features)).astype(dtype)
    codes = rng.randint(0, n_classes, n_rows)
    return X, codes, np.full(n_rows, 1 / n_rows, dtype=dtype)


def engine_for(X, codes, weights, hidden, n_outputs=3, **kwargs):
    layout = ParameterLayout([X.shape[1], *hidden, n_outputs], True)
    net = Network("logistic", "softmax" if n_outputs > 1 else "logistic")
    theta = np.random.RandomState(1).normal(size=layout.size).astype(X.dtype)
    return LocalEngine(net, layout, X, codes, weights, alpha=0.01, **kwargs), theta


@pytest.fixture
def block_sizes(monkeypatch):
    """Rows of every block that the numpy speed-ups compute, and their threads.

    Each thread's first block waits for one other thread's, so the blocks of a
    two-thread engine must really run on two threads at once.
    """
    seen = threading.local()
    meet = threading.Barrier(2, timeout=10)
    add = _inplace.add_loss_and_gradient

    def spy(net, coefs, intercepts, X, *args):
        calls.append((X.shape[0], threading.get_ident()))
        if calls.meet and not getattr(seen, "met", False):
            seen.met = True
            meet.wait()
        return add(net, coefs, intercepts, X, *args)

    calls = _Calls()
    monkeypatch.setattr(_inplace, "add_loss_and_gradient", spy)
    return calls


class _Calls(list):
    meet = False


def test_blocks_and_lanes_are_used(block_sizes):
    X, codes, weights = make_data(6000)
    engine, theta = engine_for(X, codes, weights, (32,), n_threads=2)
    assert engine.block_rows == 750 and engine.n_lanes == 8
    block_sizes.meet = True
    with engine:
        engine.loss_and_gradient(theta)
    block_sizes.meet = False
    assert sorted(rows for rows, _ in block_sizes) == [750] * 8
    assert len({thread for _, thread in block_sizes}) == 2
    # one block, one call on the caller's thread
    block_sizes.clear()
    small, theta_small = engine_for(X[:100], codes[:100], weights[:100], (32,))
    with small:
        small.loss_and_gradient(theta_small)
    assert block_sizes == [(100, threading.get_ident())]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", [(), (5,), (6, 4)])
def test_lanes_give_bit_identical_gradients_for_any_thread_count(dtype, hidden):
    X, codes, weights = make_data(9000, n_features=20, dtype=dtype)
    results = []
    for n_threads in (1, 2, 3, 8):
        # 18 blocks: most lanes sum two or three
        engine, theta = engine_for(
            X, codes, weights, hidden, n_threads=n_threads, block_rows=500
        )
        with engine:
            loss, grad = engine.loss_and_gradient(theta)
        results.append((loss, grad.copy()))
        # after the with block: the same sums, on the caller's thread
        assert engine.loss_and_gradient(theta)[0] == loss
    assert len(engine.starts) == 18 and engine._lane_grads.dtype == dtype
    assert engine.block(0)[1].dtype == dtype
    assert results[0][1].dtype == dtype
    for loss, grad in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])
    # and the blocks add up to the one-block gradient
    engine, theta = engine_for(X, codes, weights, hidden, block_rows=9000)
    loss, grad = engine.loss_and_gradient(theta)
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    assert loss == pytest.approx(results[0][0], rel=rtol)
    np.testing.assert_allclose(grad, results[0][1], rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("hidden", [(), (6, 4)])
def test_plain_math_over_many_blocks_equals_one_block(hidden):
    X, codes, weights = make_data(900)
    engine, theta = engine_for(
        X, codes, weights, hidden, inplace=False, block_rows=7, xp=xp
    )
    assert len(engine.starts) == 129
    loss, grad = engine.loss_and_gradient(theta)
    assert engine.loss(theta) < loss  # without the penalty
    one, _ = engine_for(X, codes, weights, hidden, inplace=False, xp=xp)
    assert len(one.starts) == 1
    assert one.loss_and_gradient(theta)[0] == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(one.grad, grad, rtol=1e-10, atol=1e-14)
    assert one.loss(theta) == pytest.approx(engine.loss(theta), rel=1e-12)


def test_two_blocks_add_up_to_one_and_defaults_are_plain():
    X, codes, weights = make_data(1000)
    layout = ParameterLayout([7, 5, 3], True)
    theta = np.random.RandomState(1).normal(size=layout.size)
    engine = LocalEngine(Network(), layout, X, codes, weights)  # defaults
    two = LocalEngine(Network(), layout, X, codes, weights, block_rows=500)
    assert len(engine.starts) == 1 and len(two.starts) == 2
    with engine, two:
        loss, grad = engine.loss_and_gradient(theta)
        assert two._pool is None  # one thread unless asked for more
    assert loss == engine.loss(theta)  # no penalty
    assert two.loss_and_gradient(theta)[0] == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(two.grad, grad, rtol=1e-11, atol=1e-15)


def test_effective_n_threads(monkeypatch):
    monkeypatch.setattr(_engine.os, "cpu_count", lambda: 4)
    assert effective_n_threads(None) == 4
    assert effective_n_threads(-1) == 4
    assert effective_n_threads(-2) == 3
    assert effective_n_threads(-4) == 1
    assert effective_n_threads(-100) == 1
    assert effective_n_threads(1) == 1
    assert effective_n_threads(2) == 2
    assert effective_n_threads(64) == _engine.N_LANES
    assert effective_n_threads(0) == 1
    monkeypatch.setattr(_engine.os, "cpu_count", lambda: None)  # unknown: one
    assert effective_n_threads(None) == 1


def openmp_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]


def blas_threads():
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_overlapping_engines_leave_blas_as_it_was():
    # Two fits in two threads overlap as A starts, B starts, A ends, B ends.
    # (Interleaved here in one thread: OpenBLAS may ignore limits set from
    # other threads.) B keeps one BLAS thread after A ends, and the limits
    # are restored when the last one ends.
    X, codes, weights = make_data(100)
    first, _ = engine_for(X, codes, weights, (4,))
    second, _ = engine_for(X, codes, weights, (4,))
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        openmp_before = openmp_threads()
        first.__enter__()
        second.__enter__()
        both = blas_threads()
        assert openmp_threads() == openmp_before  # only BLAS is limited
        first.__exit__(None, None, None)
        second_alone = blas_threads()
        second.__exit__(None, None, None)
        after = blas_threads()
    assert (before, both, second_alone, after) == ({2}, {1}, {1}, {2})


def test_engines_in_long_lived_worker_threads_hold_and_restore_blas():
    before = blas_threads()
    if before == {1}:
        pytest.skip("BLAS runs one thread here already")
    X, codes, weights = make_data(100)
    with engine_for(X, codes, weights, (4,))[0]:
        pass  # the main thread limits BLAS first, and lets go
    first, second = (engine_for(X, codes, weights, (4,))[0] for _ in range(2))
    first_in, second_in, first_out = (threading.Event() for _ in range(3))
    seen = {}

    def run_first():
        with first:
            first_in.set()
            second_in.wait(10)
            seen["both"] = blas_threads()
        first_out.set()

    def run_second():
        first_in.wait(10)
        with second:
            second_in.set()
            first_out.wait(10)
            seen["second alone"] = blas_threads()

    with ThreadPoolExecutor(2) as pool:  # threads that outlive the fits
        for future in [pool.submit(run_first), pool.submit(run_second)]:
            future.result(timeout=30)
        seen["after"] = blas_threads()
    assert seen == {"both": {1}, "second alone": {1}, "after": before}


def report_blas_threads(queue):
    queue.put(blas_threads())


def test_a_child_forked_during_a_fit_gets_its_blas_threads_back():
    before = blas_threads()
    if before == {1}:
        pytest.skip("BLAS runs one thread here already")
    X, codes, weights = make_data(100)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    with engine_for(X, codes, weights, (4,))[0]:
        assert blas_threads() == {1}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            child = context.Process(target=report_blas_threads, args=(queue,))
            child.start()
        in_child = queue.get(timeout=60)
        child.join(10)
    assert in_child == before


def fit_weights(X, y):
    clf = TinyNetClassifier(
        (32,), solver="lbfgs", max_iter=3, tol=0, n_jobs=2, random_state=0
    )
    return clf.fit(X, y).coefs_[0]


def fit_in_child(X, y, queue):
    queue.put(fit_weights(X, y))


def test_a_fit_in_a_forked_child_after_a_threaded_fit_finishes():
    X, y, _ = make_data(6000, n_features=20)
    in_parent = fit_weights(X, y)  # threads started, and stopped, here
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process that has run threads
        warnings.simplefilter("ignore", DeprecationWarning)
        child = context.Process(target=fit_in_child, args=(X, y, queue))
        child.start()
    try:
        in_child = queue.get(timeout=60)
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    np.testing.assert_array_equal(in_child, in_parent)


HIDDEN = {
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
}


def fixed_init(*weights):
    """An init callable handing out copies of ``weights`` in layer order."""
    remaining = iter(weights)
    return lambda random_state, fan_in, fan_out: next(remaining).copy()


def per_row_log_loss(coefs, intercepts, X, y, activation):
    """Log-loss of each row, by a plain forward pass (sigmoid or softmax output)."""
    a = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        a = HIDDEN[activation](a @ W + b)
    z = a @ coefs[-1] + intercepts[-1]
    if z.shape[1] == 1:
        return np.logaddexp(0, z[:, 0]) - y * z[:, 0]
    return -log_softmax(z, axis=1)[np.arange(len(y)), y]


# --- validation loss -----------------------------------------------------------


def held_out_rows(per_row, train_loss, validation_loss, weights=None):
    """The one split of the rows whose weighted mean losses are the recorded ones."""
    n = len(per_row)
    weights = np.ones(n) if weights is None else weights
    found = []
    for size in range(1, n):
        for rows in itertools.combinations(range(n), size):
            val = np.zeros(n, dtype=bool)
            val[list(rows)] = True
            means = [
                np.average(per_row[side], weights=weights[side]) for side in (val, ~val)
            ]
            if np.allclose(means, [validation_loss, train_loss], rtol=1e-12, atol=0):
                found.append(val)
    assert len(found) == 1, f"{len(found)} splits match the recorded losses"
    return found[0]


@pytest.mark.filterwarnings(
    "ignore:Training diverged:sklearn.exceptions.ConvergenceWarning"
)
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "hidden, activation",
    [
        ((), "logistic"),
        ((4,), "logistic"),
        ((4, 3), "logistic"),
        ((4, 3), "tanh"),
        ((4, 3), "relu"),
        ((5, 4, 3), "tanh"),
        ((4, 3), "identity"),
    ],
)
def test_validation_loss_is_the_loss_of_the_held_out_rows(
    hidden, activation, n_classes
):
    rng = np.random.RandomState(0)
    n, n_features = 12, 3
    X = rng.normal(size=(n, n_features))
    y = np.arange(n) % n_classes
    units = [n_features, *hidden, 1 if n_classes == 2 else n_classes]
    # relu: weights mostly positive, so that no row's hidden units all die
    loc = 0.5 if activation == "relu" else 0.0
    W0 = [rng.normal(loc, size=shape) for shape in zip(units[:-1], units[1:])]
    params = dict(
        hidden_layer_sizes=hidden,
        activation=activation,
        solver="gd",
        alpha=0.0,
        momentum=0.0,
        learning_rate_init=0.5,
        early_stopping=True,
        validation_fraction=0.4,
        tol=0.0,
        random_state=3,
    )
    # one record, before any update: the kept weights are the initial ones
    first = TinyNetClassifier(max_iter=1, init=fixed_init(*W0), **params).fit(X, y)
    for W, W_init in zip(first.coefs_, W0):
        np.testing.assert_array_equal(W, W_init)
    per_row = per_row_log_loss(first.coefs_, first.intercepts_, X, y, activation)
    val = held_out_rows(per_row, first.loss_curve_[0], first.validation_loss_curve_[0])
    assert first.best_validation_loss_ == first.validation_loss_curve_[0]

    # a longer run on the same split keeps the weights of its lowest
    # validation loss, which is the mean loss of those weights on the split
    clf = TinyNetClassifier(max_iter=25, init=fixed_init(*W0), **params).fit(X, y)
    curve = clf.validation_loss_curve_
    assert clf.best_validation_loss_ == min(curve)
    assert np.argmin(curve) > 0  # training moved the kept weights
    per_row = per_row_log_loss(clf.coefs_, clf.intercepts_, X, y, activation)
    np.testing.assert_allclose(per_row[val].mean(), min(curve), rtol=1e-12)


def test_validation_loss_of_squared_error_with_sample_weight():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(10, 3))
    y = np.arange(10) % 2
    sample_weight = rng.randint(1, 4, size=10).astype(float)
    W0 = [rng.normal(size=(3, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3, 1))]
    clf = TinyNetClassifier(
        (4, 3),
        solver="gd",
        loss="squared_error",
        alpha=0.0,
        max_iter=1,
        tol=0.0,
        early_stopping=True,
        validation_fraction=0.4,
        init=fixed_init(*W0),
        random_state=0,
    ).fit(X, y, sample_weight=sample_weight)
    a = X
    for W in W0[:-1]:
        a = expit(a @ W)
    per_row = 0.5 * (y - expit(a @ W0[-1])[:, 0]) ** 2
    # the recorded losses are weighted means over one split of the rows
    held_out_rows(
        per_row, clf.loss_curve_[0], clf.validation_loss_curve_[0], sample_weight
    )


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("hidden", [(), (4, 3)])
def test_validation_loss_over_many_blocks_of_one_hot_rows(hidden, n_classes):
    # One-hot rows: the weights from a row's own feature get gradient from
    # that row only, so the held-out rows are those whose first-layer weights
    # never moved. 3000 rows x 3000 features: training and validation losses
    # are both summed over several blocks of rows.
    n = 3000
    X = sp.identity(n, format="csr")
    rng = np.random.RandomState(0)
    y = np.where(rng.uniform(size=n) < 0.7, 1, rng.randint(n_classes, size=n))
    units = [n, *hidden, 1 if n_classes == 2 else n_classes]
    W0 = [rng.normal(size=shape) for shape in zip(units[:-1], units[1:])]
    clf = TinyNetClassifier(
        hidden,
        solver="gd",
        alpha=0.0,
        momentum=0.0,
        learning_rate_init=1.0,
        early_stopping=True,
        validation_fraction=0.3,
        max_iter=4,
        tol=0.0,
        init=fixed_init(*W0),
        random_state=0,
    ).fit(X, y)
    curve = clf.validation_loss_curve_
    best = int(np.argmin(curve))
    assert best > 0 and clf.best_validation_loss_ == curve[best]
    val = np.all(clf.coefs_[0] == W0[0], axis=1)
    assert 0.2 < val.mean() < 0.4
    per_row = per_row_log_loss(clf.coefs_, clf.intercepts_, X, y, "logistic")
    # the kept weights are those of the best record: its validation loss and
    # the training loss recorded with it are their mean losses on each side
    np.testing.assert_allclose(per_row[val].mean(), curve[best], rtol=1e-12)
    np.testing.assert_allclose(per_row[~val].mean(), clf.loss_curve_[best], rtol=1e-12)


# --- row blocks and threads ------------------------------------------------------


def reference_gd(X, y, W0, n_classes, alpha, learning_rate, n_updates):
    """Plain full-batch gd of a one-hidden-layer sigmoid net, softmax/sigmoid out.

    Objective: mean log-loss + alpha / (2 n) * sum ||W||**2; biases start at 0.
    """
    n = len(X)
    W = [w.copy() for w in W0]
    b = [np.zeros(w.shape[1]) for w in W0]
    Y = y[:, None].astype(float) if n_classes == 2 else np.eye(n_classes)[y]
    for _ in range(n_updates):
        h = expit(X @ W[0] + b[0])
        z = h @ W[1] + b[1]
        P = expit(z) if n_classes == 2 else softmax(z, axis=1)
        d_out = (P - Y) / n
        d_hidden = (d_out @ W[1].T) * h * (1 - h)
        grads_W = [X.T @ d_hidden + alpha / n * W[0], h.T @ d_out + alpha / n * W[1]]
        grads_b = [d_hidden.sum(axis=0), d_out.sum(axis=0)]
        for i in range(2):
            W[i] -= learning_rate * grads_W[i]
            b[i] -= learning_rate * grads_b[i]
    return W, b


@pytest.mark.parametrize(
    "n_rows, n_features, hidden, n_classes",
    [
        (6000, 3, 32, 3),  # rows x widest layer > 2**17; features x widest small
        (40, 4000, 4, 2),  # few rows, wide input: rows x widest > 2**17
        (5000, 30, 40, 2),
        (40000, 5, 4, 2),  # more blocks than lanes: lanes sum several blocks
        (300, 10, 8, 3),  # one block
    ],
)
def test_blocks_and_threads_agree_with_a_plain_reference(
    n_rows, n_features, hidden, n_classes
):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_rows, n_features))
    y = rng.randint(n_classes, size=n_rows)
    n_out = 1 if n_classes == 2 else n_classes
    W0 = [
        rng.uniform(-0.3, 0.3, size=(n_features, hidden)),
        rng.uniform(-0.3, 0.3, size=(hidden, n_out)),
    ]
    alpha, learning_rate, n_updates = 0.7, 0.3, 3
    fits = [
        TinyNetClassifier(
            (hidden,),
            solver="gd",
            momentum=0.0,
            alpha=alpha,
            learning_rate_init=learning_rate,
            max_iter=n_updates,
            tol=0.0,
            init=fixed_init(*W0),
            n_jobs=n_jobs,
        ).fit(X, y)
        for n_jobs in (1, 2)
    ]
    one, two = (fit.coefs_ + fit.intercepts_ for fit in fits)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    W, b = reference_gd(X, y, W0, n_classes, alpha, learning_rate, n_updates)
    for got, expected in zip(one, W + b):
        scale = np.abs(expected).max()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * scale)


def peak_fit_memory(n_rows, hidden):
    """Peak traced memory of a fit on ``n_rows`` rows of 2 features, in bytes."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_rows, 2))
    y = (X[:, 0] > 0).astype(int)
    clf = TinyNetClassifier(
        (hidden,),
        solver="gd",
        learning_rate_init=0.1,
        momentum=0.0,
        max_iter=1,
        tol=0.0,
        n_jobs=1,
        random_state=0,
    )
    tracemalloc.start()
    try:
        clf.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_activation_memory_is_bounded_by_blocks_not_by_rows():
    # The documented promise: memory for activations is bounded by the block
    # size, not the data size. 80,000 more rows would need 164 MB more for one
    # (rows, 256) activation matrix; in blocks of a few thousand rows, the
    # extra memory is only the data's, a few MB.
    hidden, small, large = 256, 40_000, 120_000
    growth = peak_fit_memory(large, hidden) - peak_fit_memory(small, hidden)
    assert growth < 0.1 * (large - small) * hidden * 8


def multi_block_problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6000, 8))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    return X, y


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("n_cores", [2, 6, 16])
def test_results_are_bit_identical_for_any_n_jobs(monkeypatch, solver, n_cores):
    monkeypatch.setattr(os, "cpu_count", lambda: n_cores)
    X, y = multi_block_problem()
    assert X.shape[0] * 32 > 2**17  # several blocks of rows

    def fit(n_jobs):
        return TinyNetClassifier(
            (32,),
            solver=solver,
            learning_rate_init=0.1,
            max_iter=4,
            tol=0.0,
            n_jobs=n_jobs,
            random_state=0,
        ).fit(X, y)

    reference = fit(1)
    for n_jobs in (2, 3, -1, -2, None, 8, 64, -100):
        clf = fit(n_jobs)
        assert clf.loss_curve_ == reference.loss_curve_
        for W, W_ref in zip(
            clf.coefs_ + clf.intercepts_, reference.coefs_ + reference.intercepts_
        ):
            np.testing.assert_array_equal(W, W_ref)


def test_early_stopping_over_several_blocks_is_bit_identical_for_any_n_jobs():
    X, y = multi_block_problem()

    def fit(n_jobs):
        return TinyNetClassifier(
            (32,),
            solver="gd",
            learning_rate_init=0.1,
            max_iter=4,
            tol=0.0,
            early_stopping=True,
            validation_fraction=0.5,
            n_jobs=n_jobs,
            random_state=0,
        ).fit(X, y)

    reference, threaded = fit(1), fit(4)
    assert threaded.validation_loss_curve_ == reference.validation_loss_curve_
    assert threaded.loss_curve_ == reference.loss_curve_
    np.testing.assert_array_equal(threaded.coefs_[0], reference.coefs_[0])


# --- predictions in blocks ---------------------------------------------------


def blocked_classifier():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 10))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    clf = TinyNetClassifier(max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def test_predictions_in_blocks_are_those_of_the_whole_forward_pass():
    clf = blocked_classifier()
    X = np.random.RandomState(1).normal(size=(50_001, 10))
    assert _engine.predict_block_rows([10, 100, 3]) == 4096  # so 12 blocks
    net = Network(clf.activation, clf.out_activation_, clf.loss)
    z = net.forward(clf.coefs_, clf.intercepts_, X, np)[-1]
    np.testing.assert_allclose(clf.decision_function(X), z, rtol=1e-12, atol=1e-14)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, _network.output_proba(z, "softmax", False, np))
    # independent blocks: the same for any number of threads
    one = clf.set_params(n_jobs=1).predict_proba(X)
    np.testing.assert_array_equal(one, proba)
    np.testing.assert_array_equal(clf.predict(X), z.argmax(axis=1))


def test_predictions_hold_one_block_of_layers_at_a_time():
    # the extra memory grows with the outputs only, not with the hidden
    # layers (the whole (100,) layer and its temporaries were 30x X). One
    # thread: with two, the blocks' peaks overlap at times
    clf = blocked_classifier().set_params(n_jobs=1)

    def extra_peak(method, n_rows):
        X = np.random.RandomState(1).normal(size=(n_rows, 10))
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        method(X)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        return peak, X.nbytes

    for method in (clf.predict_proba, clf.predict, clf.decision_function):
        small, small_bytes = extra_peak(method, 50_000)
        large, large_bytes = extra_peak(method, 200_000)
        assert large - small < large_bytes - small_bytes, method.__name__


def test_an_overflowing_row_in_a_later_block_is_named():
    X = np.random.RandomState(1).normal(size=(20_000, 10))
    clf = TinyNetClassifier((), random_state=0).fit(X[:500], X[:500, 0] > 0)
    X[17_000] = 1e308  # the logits of a linear model overflow
    message = r"of 1 row\(s\) overflow \(the first is row 17000\)"
    with pytest.raises(ValueError, match=message):
        clf.predict_proba(X)
