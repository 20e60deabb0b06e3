"""The numpy speed-ups give the plain math's numbers."""

import array_api_compat.numpy as xp
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from test_network import OUTPUTS, make_problem

from sklearn_tinynet import _inplace, _network
from sklearn_tinynet._engine import LocalEngine, ParameterLayout


@pytest.mark.parametrize("size", [12, 2 * _inplace.EXPIT_MAX_SIZE])
def test_sigmoid_and_softmax(size):
    z = np.random.RandomState(0).normal(scale=5, size=(size // 4, 4))
    np.testing.assert_allclose(
        _inplace.sigmoid(z.copy()), _network.sigmoid(z, xp), rtol=1e-15, atol=1e-300
    )
    np.testing.assert_allclose(
        _inplace.softmax(z.copy()), _network.softmax(z, xp), rtol=1e-14
    )


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_activations_and_slopes(activation):
    z = np.random.RandomState(0).normal(size=(6, 5))
    a = _network.ACTIVATIONS[activation](z, xp)
    np.testing.assert_allclose(
        _inplace.ACTIVATIONS[activation](z.copy()), a, rtol=1e-15, atol=1e-300
    )
    delta = np.random.RandomState(1).normal(size=z.shape)
    np.testing.assert_allclose(
        _inplace.MULTIPLY_BY_SLOPE[activation](a.copy(), delta.copy()),
        delta * _network.SLOPES[activation](a, xp),
        rtol=1e-15,
    )


@pytest.mark.parametrize("loss, out_activation, kind", OUTPUTS)
@pytest.mark.parametrize("hidden", [(), (5,), (4, 3)])
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
@pytest.mark.parametrize("sparse", [False, True])
def test_engine_gives_the_same_numbers_with_and_without_speed_ups(
    loss, out_activation, kind, hidden, activation, sparse
):
    X, Y = make_problem(kind, n_samples=700, n_features=6)
    X = sp.csr_matrix(np.where(X > 0.5, X, 0)) if sparse else X
    weights = np.random.RandomState(2).uniform(0, 3, X.shape[0])
    weights /= weights.sum()
    layout = ParameterLayout([X.shape[1], *hidden, Y.shape[1]], True)
    net = _network.Network(activation, out_activation, loss)
    theta = np.random.RandomState(1).normal(scale=0.7, size=layout.size)
    results = []
    for inplace in (True, False):
        engine = LocalEngine(
            net,
            layout,
            X,
            Y,
            weights,
            alpha=0.1,
            inplace=inplace,
            block_rows=100,
            xp=xp,
        )
        with engine:
            loss_value, grad = engine.loss_and_gradient(theta)
        assert engine.inplace is inplace
        results.append((loss_value, grad.copy(), engine.loss(theta)))
    (fast_loss, fast_grad, fast_val), (loss_value, grad, val) = results
    assert fast_loss == pytest.approx(loss_value, rel=1e-13)
    assert fast_val == pytest.approx(val, rel=1e-13)
    np.testing.assert_allclose(fast_grad, grad, rtol=1e-11, atol=1e-15)


def test_squared_error_on_small_blocks_uses_expit():
    # the tutorials' figures were reproduced with scipy's expit: keep its bits
    z = np.random.RandomState(0).normal(scale=3, size=(40, 3))
    Y = np.eye(3)[np.arange(40) % 3]
    net = _network.Network("logistic", "logistic", "squared_error")
    np.testing.assert_array_equal(
        _inplace.loss_per_row(net, z, Y), 0.5 * np.sum((Y - expit(z)) ** 2, axis=1)
    )


def test_sigmoid_switches_to_the_tanh_form_at_its_size_limit():
    z = np.random.RandomState(0).normal(scale=5, size=_inplace.EXPIT_MAX_SIZE)
    below, at = z[:-1], z
    np.testing.assert_array_equal(_inplace.sigmoid(below.copy()), expit(below))
    np.testing.assert_array_equal(_inplace.sigmoid(at.copy()), _network.sigmoid(at, xp))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_buffers_change_no_bit_of_a_block(dtype):
    X, Y = make_problem("multiclass", n_samples=300, n_features=6)
    X, Y = X.astype(dtype), Y.astype(dtype)
    weights = np.full(300, 1 / 300, dtype=dtype)
    layout = ParameterLayout([6, 5, 4, 3], True)
    net = _network.Network("tanh", "softmax", "log_loss")
    theta = np.random.RandomState(1).normal(size=layout.size).astype(dtype)
    engine = LocalEngine(net, layout, X, Y, weights)
    loss, grad = engine.loss_and_gradient(theta)
    expected = np.zeros(layout.size, dtype=dtype)
    expected_loss = _inplace.add_loss_and_gradient(
        net, *layout.views(theta), X, Y, weights, *layout.views(expected)
    )
    assert engine.inplace and loss == expected_loss
    np.testing.assert_array_equal(grad, expected)
