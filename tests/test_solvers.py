"""Solvers: gradient descent's steps and full-batch L-BFGS."""

import numpy as np
import pytest

from sklearn_tinynet._solvers import GradientDescent, minimize_lbfgs


def test_gradient_descent_steps():
    theta = np.array([1.0, 2.0])
    grad = np.array([0.5, -1.0])
    plain = GradientDescent(0.1)
    plain.step(theta, grad)
    np.testing.assert_allclose(theta, [0.95, 2.1])
    plain.step(theta, grad)  # no momentum unless asked for
    np.testing.assert_allclose(theta, [0.9, 2.2])

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


@pytest.mark.parametrize("nesterov", [False, True])
def test_full_momentum_differs_from_none_from_the_second_step(nesterov):
    grad = np.array([0.5, -1.0])
    steps = {}
    for momentum in (0.0, 1.0):
        theta, opt = np.zeros(2), GradientDescent(0.1, momentum, nesterov)
        for _ in range(3):
            opt.step(theta, grad)
        steps[momentum] = theta
    np.testing.assert_allclose(steps[0.0], -0.3 * grad)
    # v_k = -k lr g; plain: sum of v_1..v_3 = -6 lr g; Nesterov adds v_k - lr g
    expected = -(0.9 if nesterov else 0.6) * grad
    np.testing.assert_allclose(steps[1.0], expected)


def test_velocity_carries_over():
    grad = np.array([1.0])
    theta, opt = np.zeros(1), GradientDescent(0.1, 0.5, velocity=np.array([-2.0]))
    opt.step(theta, grad)
    np.testing.assert_allclose(opt.velocity, [0.5 * -2.0 - 0.1])
    np.testing.assert_allclose(theta, opt.velocity)


def full_batch(fun):
    """One stage for minimize_lbfgs: ``fun``'s loss and gradient, no variance."""
    return [lambda theta: (*fun(theta), None)]


def test_lbfgs_minimises_and_calls_back():
    target = np.array([1.0, -2.0, 3.0])

    def fun(theta):
        return 0.5 * float(((theta - target) ** 2).sum()), theta - target

    seen = []
    theta = np.zeros(3)
    n_iter, status = minimize_lbfgs(
        full_batch(fun), [], theta, 50, 1e-10, lambda t, loss, k: seen.append(loss)
    )
    assert status == "converged" and n_iter == len(seen)
    np.testing.assert_allclose(theta, target, atol=1e-8)
    assert seen[-1] == pytest.approx(0, abs=1e-12)

    def stop(theta, loss, k):
        raise StopIteration

    theta = np.zeros(3)
    with pytest.raises(StopIteration):
        minimize_lbfgs(full_batch(fun), [], theta, 50, 1e-10, stop)
    assert 0 < np.linalg.norm(theta - target) < np.linalg.norm(target)


def test_lbfgs_keeps_enough_curvature_pairs_for_an_ill_conditioned_quadratic():
    # 0.5 * sum(h_i * theta_i**2), 20 curvatures spread over four decades:
    # keeping 50 pairs L-BFGS stops after 79 iterations, with scipy's default
    # of 10 pairs after 255 (30 pairs: 137)
    curvature = np.logspace(-2, 2, 20)

    def fun(theta):
        return 0.5 * float(curvature @ theta**2), curvature * theta

    theta = np.ones(20)
    n_iter, status = minimize_lbfgs(
        full_batch(fun), [], theta, 1000, 1e-10, lambda t, loss, k: None
    )
    assert status == "converged"
    assert n_iter <= 120  # 10 pairs would fail
    np.testing.assert_allclose(theta, 0, atol=1e-4)


def test_lbfgs_reports_no_step_when_no_lower_loss_exists_along_the_gradient():
    # a loss whose gradient points the wrong way: no step lowers it
    def fun(theta):
        return float(theta @ theta), -theta

    theta = np.ones(3)
    assert minimize_lbfgs(
        full_batch(fun), [], theta, 50, 1e-10, lambda t, loss, k: None
    ) == (0, "no_step")
    np.testing.assert_array_equal(theta, 1.0)
