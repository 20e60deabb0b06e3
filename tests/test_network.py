"""The network's math against finite differences and direct formulas."""

import numpy as np
import pytest
from scipy.special import expit

from sklearn_tinynet import _network
from sklearn_tinynet._solvers import FlatNetwork

OUTPUTS = [
    # (loss, out_activation, target kind)
    ("log_loss", "logistic", "binary"),
    ("log_loss", "logistic", "multilabel"),
    ("log_loss", "softmax", "multiclass"),
    ("squared_error", "logistic", "binary"),
    ("squared_error", "logistic", "multiclass"),
]


def make_problem(kind, n_samples=13, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    if kind == "binary":
        Y = rng.randint(0, 2, size=(n_samples, 1)).astype(float)
    elif kind == "multilabel":
        Y = rng.randint(0, 2, size=(n_samples, 3)).astype(float)
    else:
        Y = np.eye(3)[rng.randint(0, 3, size=n_samples)]
    return X, Y


def random_network(X, Y, hidden, fit_intercept, seed=1):
    net = FlatNetwork([X.shape[1], *hidden, Y.shape[1]], fit_intercept, np.float64)
    net.theta[:] = np.random.RandomState(seed).normal(scale=0.7, size=net.theta.size)
    return net


def finite_difference_gradient(f, theta, eps=1e-6):
    grad = np.empty_like(theta)
    for j in range(theta.size):
        saved = theta[j]
        theta[j] = saved + eps
        up = f()
        theta[j] = saved - eps
        down = f()
        theta[j] = saved
        grad[j] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("loss, out_activation, kind", OUTPUTS)
@pytest.mark.parametrize("hidden", [(), (5,), (4, 3)])
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_gradient_matches_finite_differences(
    loss, out_activation, kind, hidden, activation, weighted, alpha
):
    X, Y = make_problem(kind)
    weights = np.random.RandomState(2).uniform(0, 3, X.shape[0]) if weighted else None
    weights = np.ones(X.shape[0]) if weights is None else weights
    weights /= weights.sum()
    net = random_network(X, Y, hidden, fit_intercept=True)

    def loss_value():
        return net.loss_and_gradient(
            X, Y, weights, activation, out_activation, loss, alpha
        )

    loss_value()
    analytic = net.grad.copy()
    numeric = finite_difference_gradient(loss_value, net.theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_gradient_without_intercepts_and_in_blocks():
    X, Y = make_problem("multiclass", n_samples=50)
    weights = np.full(50, 1 / 50)
    net = random_network(X, Y, (6,), fit_intercept=False)
    args = (X, Y, weights, "logistic", "softmax", "log_loss", 0.1)
    loss_one_block = net.loss_and_gradient(*args)
    grad_one_block = net.grad.copy()
    numeric = finite_difference_gradient(
        lambda: net.loss_and_gradient(*args), net.theta
    )
    np.testing.assert_allclose(grad_one_block, numeric, rtol=1e-5, atol=1e-8)
    # blocks of 7 rows, in 8 lanes on 3 threads, sum to the same loss and gradient
    net.block_rows, net.n_threads = 7, 3
    loss_blocks = net.loss_and_gradient(*args)
    assert loss_blocks == pytest.approx(loss_one_block, rel=1e-12)
    np.testing.assert_allclose(net.grad, grad_one_block, rtol=1e-12, atol=1e-15)
    assert net.loss(*args[:-1]) == pytest.approx(
        loss_one_block - 0.05 * sum(float((W**2).sum()) for W in net.coefs)
    )


def test_losses_equal_their_textbook_forms():
    rng = np.random.RandomState(0)
    z = rng.normal(scale=3, size=(20, 3))
    Y = np.eye(3)[rng.randint(0, 3, 20)]
    p = expit(z)
    expected = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)
    np.testing.assert_allclose(_network.log_loss_logistic(z, Y), expected)
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        _network.log_loss_softmax(z, Y), -(Y * np.log(softmax)).sum(axis=1)
    )
    np.testing.assert_allclose(
        _network.squared_error_logistic(z, Y), 0.5 * ((Y - p) ** 2).sum(axis=1)
    )


def test_losses_stay_finite_for_huge_logits():
    z = np.array([[1e300, -1e300, 0.0], [-800.0, 800.0, 0.0]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        logistic = _network.log_loss_logistic(z, Y)
        softmax = _network.log_loss_softmax(z[1:], Y[1:])
        log_p = _network.log_sigmoid(z)
        log_q = _network.log_softmax(z[1:])
    # wrong by 1e300 and by 800: large but finite, never inf or nan
    assert logistic[0] == pytest.approx(2e300)
    assert logistic[1] == pytest.approx(1600 + np.log(2))
    assert softmax[0] == pytest.approx(1600)
    assert np.isfinite(log_p).all() and np.isfinite(log_q).all()


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_derivatives_from_outputs(activation):
    z = np.linspace(-3, 3, 13).reshape(1, -1) + 0.05  # away from relu's kink
    eps = 1e-6
    up, down, out = z + eps, z - eps, z.copy()
    for a in (up, down, out):
        _network.ACTIVATIONS[activation](a)
    delta = np.ones_like(z)
    _network.DERIVATIVES[activation](out, delta)
    np.testing.assert_allclose(delta, (up - down) / (2 * eps), rtol=1e-6, atol=1e-9)


def test_inits():
    rs = np.random.RandomState(1)
    W = _network.init_uniform(rs, 3, 1)
    np.testing.assert_array_equal(
        W, 2 * np.random.RandomState(1).random_sample((3, 1)) - 1
    )
    W = _network.init_glorot_uniform(np.random.RandomState(0), 400, 100, "logistic")
    bound = np.sqrt(2 / 500)
    assert W.shape == (400, 100) and np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.99 * bound
