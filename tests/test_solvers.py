"""Solvers: flat parameter views, blocked and threaded gradients, optimiser steps."""

import numpy as np
import pytest

from sklearn_tinynet import _solvers
from sklearn_tinynet._solvers import (
    FlatNetwork,
    GradientDescent,
    NoImprovementStopper,
    target_block,
)


def test_views_share_memory_with_theta():
    net = FlatNetwork([3, 4, 2], fit_intercept=True, dtype=np.float32)
    assert net.theta.size == 3 * 4 + 4 + 4 * 2 + 2
    net.theta[:] = np.arange(net.theta.size)
    assert net.coefs[0].shape == (3, 4) and net.intercepts[1].shape == (2,)
    assert net.intercepts[0][0] == 12 and net.coefs[1][0, 0] == 16
    net.coefs[1][:] = -1
    assert (net.theta[16:24] == -1).all()
    no_bias = FlatNetwork([3, 4, 2], fit_intercept=False, dtype=np.float64)
    assert no_bias.theta.size == 20 and no_bias.intercepts == [None, None]


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lanes_give_bit_identical_gradients_for_any_thread_count(dtype):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 7)).astype(dtype)
    codes = rng.randint(0, 3, 1000)
    weights = np.full(1000, 1 / 1000, dtype=dtype)
    results = []
    for n_threads in (1, 2, 3, 8):
        net = FlatNetwork([7, 5, 3], True, dtype, n_threads=n_threads, block_rows=64)
        net.theta[:] = np.random.RandomState(1).normal(size=net.theta.size)
        loss = net.loss_and_gradient(
            X, codes, weights, "logistic", "softmax", "log_loss", 0.01
        )
        results.append((loss, net.grad.copy()))
    for loss, grad in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])
    # and the blocks add up to the one-block gradient
    net = FlatNetwork([7, 5, 3], True, dtype, block_rows=1000)
    net.theta[:] = np.random.RandomState(1).normal(size=net.theta.size)
    loss = net.loss_and_gradient(
        X, codes, weights, "logistic", "softmax", "log_loss", 0.01
    )
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    assert loss == pytest.approx(results[0][0], rel=rtol)
    np.testing.assert_allclose(net.grad, results[0][1], rtol=rtol, atol=rtol * 1e-2)


def test_effective_n_threads(monkeypatch):
    monkeypatch.setattr(_solvers.os, "cpu_count", lambda: 4)
    assert _solvers.effective_n_threads(None) == 4
    assert _solvers.effective_n_threads(-1) == 4
    assert _solvers.effective_n_threads(-2) == 3
    assert _solvers.effective_n_threads(2) == 2
    assert _solvers.effective_n_threads(64) == _solvers.N_LANES


def test_gradient_descent_steps():
    theta = np.array([1.0, 2.0])
    grad = np.array([0.5, -1.0])
    GradientDescent(0.1).step(theta, grad)
    np.testing.assert_allclose(theta, [0.95, 2.1])

    # momentum: v = mu v - lr g; theta += v
    theta, opt = np.zeros(2), GradientDescent(0.1, momentum=0.9)
    opt.step(theta, grad)
    opt.step(theta, grad)
    v1 = -0.1 * grad
    v2 = 0.9 * v1 - 0.1 * grad
    np.testing.assert_allclose(theta, v1 + v2)

    # Nesterov: theta += mu v - lr g, with v updated first
    theta, opt = np.zeros(2), GradientDescent(0.1, momentum=0.9, nesterov=True)
    opt.step(theta, grad)
    np.testing.assert_allclose(theta, 0.9 * v1 - 0.1 * grad)


def test_no_improvement_stopper():
    stopper = NoImprovementStopper(tol=0.1, patience=2)
    assert stopper.update(1.0) == (True, False)
    assert stopper.update(0.95) == (True, False)  # better, but by less than tol
    assert stopper.update(0.94) == (True, False)
    assert stopper.update(0.93) == (True, True)  # third in a row within tol
    stopper = NoImprovementStopper(tol=0.1, patience=2)
    for value in (1.0, 0.95, 0.8, 0.79, 0.78):
        _, stop = stopper.update(value)
    assert not stop and stopper.best == 0.78
