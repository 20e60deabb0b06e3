"""The network's math against finite differences, textbook formulas and the tutorial."""

import array_api_compat.numpy as xp
import numpy as np
import pytest
from scipy.special import expit

from sklearn_tinynet import _network
from sklearn_tinynet._engine import LocalEngine, ParameterLayout
from sklearn_tinynet.tutorial import Y_XOR, cavar_init, tutorial_loop
from sklearn_tinynet.tutorial import X as X_TUTORIAL

OUTPUTS = [
    # (loss, out_activation, target kind)
    ("log_loss", "logistic", "binary"),
    ("log_loss", "logistic", "multilabel"),
    ("log_loss", "softmax", "multiclass"),
    ("squared_error", "logistic", "binary"),
    ("squared_error", "logistic", "multiclass"),
    ("squared_error", "identity", "regression"),
    ("squared_error", "identity", "multioutput"),
    ("poisson", "exp", "counts"),
]


def make_problem(kind, n_samples=13, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    if kind == "binary":
        Y = rng.randint(0, 2, size=(n_samples, 1)).astype(float)
    elif kind == "multilabel":
        Y = rng.randint(0, 2, size=(n_samples, 3)).astype(float)
    elif kind == "regression":
        Y = rng.normal(size=(n_samples, 1))
    elif kind == "multioutput":
        Y = rng.normal(size=(n_samples, 3))
    elif kind == "counts":  # zeros among them: 0 log 0 = 0
        Y = rng.poisson(1.0, size=(n_samples, 2)).astype(float)
    else:
        Y = np.eye(3)[rng.randint(0, 3, size=n_samples)]
    return X, Y


def random_theta(layout, seed=1):
    return np.random.RandomState(seed).normal(scale=0.7, size=layout.size)


def finite_difference_gradient(f, theta, eps=1e-6):
    grad = np.empty_like(theta)
    for j in range(theta.size):
        saved = theta[j]
        theta[j] = saved + eps
        up = f(theta)
        theta[j] = saved - eps
        down = f(theta)
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
    layout = ParameterLayout([X.shape[1], *hidden, Y.shape[1]], True)
    net = _network.Network(activation, out_activation, loss)
    theta = random_theta(layout)
    for inplace in (True, False):
        engine = LocalEngine(
            net, layout, X, Y, weights, alpha=alpha, inplace=inplace, xp=xp
        )
        analytic = engine.loss_and_gradient(theta)[1].copy()
        numeric = finite_difference_gradient(
            lambda t, engine=engine: engine.loss_and_gradient(t)[0], theta
        )
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_gradient_without_intercepts():
    X, Y = make_problem("multiclass", n_samples=50)
    weights = np.full(50, 1 / 50)
    layout = ParameterLayout([4, 6, 3], fit_intercept=False)
    assert layout.size == 4 * 6 + 6 * 3
    engine = LocalEngine(_network.Network(), layout, X, Y, weights, alpha=0.1)
    theta = random_theta(layout)
    grad = engine.loss_and_gradient(theta)[1].copy()
    numeric = finite_difference_gradient(
        lambda t: engine.loss_and_gradient(t)[0], theta
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_forward_returns_the_tutorials_layers():
    # layers[i] is the tutorial's l_i: l0 = X, l1 = nonlin(l0.dot(syn0)), ...
    rs = np.random.RandomState(1)
    syn0, syn1 = cavar_init(rs, 3, 4), cavar_init(rs, 4, 1)
    layers = _network.Network().forward([syn0, syn1], [None, None], X_TUTORIAL, xp)
    assert len(layers) == 3 and layers[0] is X_TUTORIAL
    np.testing.assert_allclose(layers[1], expit(X_TUTORIAL @ syn0), rtol=1e-14)
    np.testing.assert_allclose(layers[2], layers[1] @ syn1, rtol=1e-14)  # logits


def test_backprop_matches_the_tutorial_loop():
    # one summed update of the tutorial is minus n times the mean-loss gradient
    rs = np.random.RandomState(1)
    weights = [cavar_init(rs, 3, 4), cavar_init(rs, 4, 1)]
    after = tutorial_loop(X_TUTORIAL, Y_XOR, weights, 1)
    net = _network.Network("logistic", "logistic", "squared_error")
    n = len(Y_XOR)
    loss, coef_grads, intercept_grads = net.loss_and_gradient(
        weights, [None, None], X_TUTORIAL, Y_XOR[:, None], np.full(n, 1 / n), np
    )
    assert intercept_grads == [None, None]
    for W, W_after, grad in zip(weights, after, coef_grads):
        np.testing.assert_allclose(W - n * grad, W_after, rtol=1e-12)


def test_losses_equal_their_textbook_forms():
    rng = np.random.RandomState(0)
    z = rng.normal(scale=3, size=(20, 3))
    Y = np.eye(3)[rng.randint(0, 3, 20)]
    p = expit(z)
    expected = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)
    np.testing.assert_allclose(_network.log_loss_logistic(z, Y, xp), expected)
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        _network.log_loss_softmax(z, Y, xp), -(Y * np.log(softmax)).sum(axis=1)
    )
    np.testing.assert_allclose(
        _network.squared_error_logistic(z, Y, xp), 0.5 * ((Y - p) ** 2).sum(axis=1)
    )
    np.testing.assert_allclose(_network.sigmoid(z, xp), p, rtol=1e-12)
    np.testing.assert_allclose(_network.softmax(z, xp), softmax, rtol=1e-14)
    y = rng.normal(size=z.shape)
    np.testing.assert_allclose(
        _network.squared_error_identity(z, y, xp), 0.5 * ((y - z) ** 2).sum(axis=1)
    )
    # half the Poisson deviance: y log(y / mu) - y + mu, with 0 log 0 = 0
    counts = rng.poisson(2.0, size=z.shape).astype(float)
    mu = np.exp(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        y_log = np.where(counts > 0, counts * np.log(counts / mu), 0.0)
    np.testing.assert_allclose(
        _network.poisson_exp(z, counts, xp), (y_log - counts + mu).sum(axis=1)
    )


def test_every_output_layer_is_a_known_pair():
    with pytest.raises(ValueError, match="No output layer for loss='poisson'"):
        _network.Network("logistic", "identity", "poisson")
    assert set(_network.LOSSES) == {(loss, out) for loss, out, _ in OUTPUTS}


def test_losses_stay_finite_for_huge_logits():
    z = np.array([[1e300, -1e300, 0.0], [-800.0, 800.0, 0.0]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        logistic = _network.log_loss_logistic(z, Y, xp)
        softmax = _network.log_loss_softmax(z[1:], Y[1:], xp)
        log_p = _network.log_sigmoid(z, xp)
        log_q = _network.log_softmax(z[1:], xp)
        p = _network.sigmoid(z, xp)
    # wrong by 1e300 and by 800: large but finite, never inf or nan
    assert logistic[0] == pytest.approx(2e300)
    assert logistic[1] == pytest.approx(1600 + np.log(2))
    assert softmax[0] == pytest.approx(1600)
    assert np.isfinite(log_p).all() and np.isfinite(log_q).all()
    np.testing.assert_array_equal(p, [[1, 0, 0.5], [0, 1, 0.5]])


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_slopes_from_outputs(activation):
    z = np.linspace(-3, 3, 13).reshape(1, -1) + 0.05  # away from relu's kink
    eps = 1e-6
    act = _network.ACTIVATIONS[activation]
    slope = _network.SLOPES[activation](act(z, xp), xp)
    numeric = (act(z + eps, xp) - act(z - eps, xp)) / (2 * eps)
    np.testing.assert_allclose(slope, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("multilabel, n_outputs", [(False, 1), (True, 3), (False, 3)])
def test_log_proba_is_the_log_of_proba(multilabel, n_outputs):
    z = np.random.RandomState(0).normal(scale=4, size=(30, n_outputs))
    for out_activation in ("logistic", "softmax") if n_outputs > 1 else ("logistic",):
        if multilabel and out_activation == "softmax":
            continue
        proba = _network.output_proba(z, out_activation, multilabel, xp)
        log_proba = _network.output_log_proba(z, out_activation, multilabel, xp)
        np.testing.assert_allclose(np.exp(log_proba), proba, rtol=1e-12)
        if not multilabel:
            np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-14)
            assert proba.shape == (30, max(n_outputs, 2))


def test_inits():
    rs = np.random.RandomState(1)
    W = _network.init_uniform(rs, 3, 1, "logistic")
    np.testing.assert_array_equal(
        W, 2 * np.random.RandomState(1).random_sample((3, 1)) - 1
    )
    for activation, factor in [("logistic", 2), ("tanh", 6), ("relu", 6)]:
        W = _network.init_glorot_uniform(np.random.RandomState(0), 400, 100, activation)
        bound = np.sqrt(factor / 500)
        assert W.shape == (400, 100) and np.abs(W).max() <= bound
        assert np.abs(W).max() > 0.99 * bound
