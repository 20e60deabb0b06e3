"""The engine: parameter views, blocks of rows, lanes, threads, BLAS and fork."""

import multiprocessing
import threading
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_tinynet import TinyNetClassifier, _engine, _inplace
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
        (1500, [20, 100, 3], 256),  # at least MIN_BLOCK_ROWS
        (100_000, [20, 32, 3], 4096),  # at most BLOCK_ROWS
        (40, [4000, 4, 1], 256),  # wide: the features count as a layer
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
    """Rows of every block that the numpy speed-ups compute, and their threads."""
    calls = []
    add = _inplace.add_loss_and_gradient

    def spy(net, coefs, intercepts, X, *args):
        calls.append((X.shape[0], threading.get_ident()))
        return add(net, coefs, intercepts, X, *args)

    monkeypatch.setattr(_inplace, "add_loss_and_gradient", spy)
    return calls


def test_blocks_and_lanes_are_used(block_sizes):
    X, codes, weights = make_data(6000)
    engine, theta = engine_for(X, codes, weights, (32,), n_threads=2)
    assert engine.block_rows == 750 and engine.n_lanes == 8
    with engine:
        engine.loss_and_gradient(theta)
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
        engine, theta = engine_for(X, codes, weights, hidden, n_threads=n_threads)
        with engine:
            loss, grad = engine.loss_and_gradient(theta)
        results.append((loss, grad.copy()))
    assert len(engine.starts) > 1
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
    engine, theta = engine_for(X, codes, weights, hidden, inplace=False, block_rows=7)
    assert len(engine.starts) == 129
    loss, grad = engine.loss_and_gradient(theta)
    assert engine.loss(theta) < loss  # without the penalty
    one, _ = engine_for(X, codes, weights, hidden, inplace=False)
    assert len(one.starts) == 1
    assert one.loss_and_gradient(theta)[0] == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(one.grad, grad, rtol=1e-10, atol=1e-14)
    assert one.loss(theta) == pytest.approx(engine.loss(theta), rel=1e-12)


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
        first.__enter__()
        second.__enter__()
        both = blas_threads()
        first.__exit__(None, None, None)
        second_alone = blas_threads()
        second.__exit__(None, None, None)
        after = blas_threads()
    assert (before, both, second_alone, after) == ({2}, {1}, {1}, {2})


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
