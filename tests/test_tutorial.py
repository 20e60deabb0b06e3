"""The tutorials' networks, reproduced number for number."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynet import TinyNetClassifier

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
Y_XOR = np.array([0, 1, 1, 0])
Y_FIRST_COLUMN = np.array([0, 0, 1, 1])

# Printed in Cavar's notebook (shared/seeds/004_*): "Error:" every 10,000
# iterations, np.mean(np.abs(l2_error)) before update i, and the hidden
# weights Wh after 100,000 updates.
CAVAR_ERRORS = {
    0: 0.49962354308293877,
    10_000: 0.010185068686370096,
    20_000: 0.006740755437297382,
    30_000: 0.005345052957883488,
    40_000: 0.004547502999833714,
    50_000: 0.004017450105072936,
    60_000: 0.0036334495140870125,
    70_000: 0.003339229754058864,
    80_000: 0.0031047453709322735,
    90_000: 0.0029123275501446943,
}
CAVAR_WH = np.array(
    [
        [6.66182717, 6.80494448, -3.00320286, 3.65642155],
        [-3.43419418, 6.77518798, 6.58168773, 3.71366194],
        [0.59089835, -1.96151177, 0.18071609, -5.62078292],
    ]
)
# Printed in Trask's post as "Output After Training" of the 2-layer network:
# l1 of the last of 10,000 iterations, i.e. after 9,999 updates.
TRASK_OUTPUT = np.array([0.00966449, 0.00786506, 0.99358898, 0.99211957])


def cavar_init(rs, fan_in, fan_out):
    return rs.random_sample((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def tutorial_classifier(n_updates, hidden_layer_sizes=(4,), init=cavar_init):
    # learning_rate_init = n_samples turns the mean loss into the tutorial's sum
    return TinyNetClassifier(
        hidden_layer_sizes=hidden_layer_sizes,
        activation="logistic",
        loss="squared_error",
        fit_intercept=False,
        init=init,
        solver="gd",
        learning_rate_init=4.0,
        momentum=0.0,
        alpha=0.0,
        max_iter=n_updates,
        tol=0.0,
        n_iter_no_change=n_updates,
        early_stopping=False,
        random_state=1,
    )


def fit_quietly(clf, X, y):
    # tol=0 never converges, which is the tutorial's point: run N updates.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def tutorial_loop(X, y, weights, n_updates):
    """The tutorials' loop: summed updates, sigmoid everywhere, no biases."""

    def nonlin(x, deriv=False):
        if deriv:
            return x * (1 - x)
        return 1 / (1 + np.exp(-x))

    y = y.reshape(-1, 1)
    syn = [w.copy() for w in weights]
    for _ in range(n_updates):
        layers = [X]
        for w in syn:
            layers.append(nonlin(layers[-1].dot(w)))
        delta = (y - layers[-1]) * nonlin(layers[-1], deriv=True)
        for i in range(len(syn) - 1, -1, -1):
            error = delta.dot(syn[i].T)
            syn[i] += layers[i].T.dot(delta)
            delta = error * nonlin(layers[i], deriv=True)
    return syn


def initial_weights(hidden_layer_sizes):
    rs = np.random.RandomState(1)
    units = [3, *hidden_layer_sizes, 1]
    return [cavar_init(rs, a, b) for a, b in zip(units[:-1], units[1:])]


def sigmoid_forward(weights):
    layer = X
    for w in weights:
        layer = 1 / (1 + np.exp(-layer.dot(w)))
    return layer[:, 0]


@pytest.mark.parametrize("n_updates", [1, 10, 1000])
@pytest.mark.parametrize(
    "hidden_layer_sizes, y", [((), Y_FIRST_COLUMN), ((4,), Y_XOR), ((4, 3), Y_XOR)]
)
def test_matches_reference_loop(hidden_layer_sizes, y, n_updates):
    expected = tutorial_loop(
        X.astype(float), y, initial_weights(hidden_layer_sizes), n_updates
    )
    clf = fit_quietly(tutorial_classifier(n_updates, hidden_layer_sizes), X, y)
    assert len(clf.coefs_) == len(expected)
    for W, W_expected in zip(clf.coefs_, expected):
        np.testing.assert_allclose(W, W_expected, rtol=1e-10, atol=1e-12)
    assert all(np.all(b == 0) for b in clf.intercepts_)


def test_cavar_error_table_and_weights():
    clf = tutorial_classifier(10_000)
    clf.set_params(warm_start=True)
    errors = {0: np.mean(np.abs(Y_XOR - sigmoid_forward(initial_weights((4,)))))}
    for i in range(10_000, 100_001, 10_000):
        fit_quietly(clf, X, Y_XOR)  # warm start: 10,000 more updates
        errors[i] = np.mean(np.abs(Y_XOR - clf.predict_proba(X)[:, 1]))
    for i, expected in CAVAR_ERRORS.items():
        assert errors[i] == pytest.approx(expected, rel=1e-6), i
    np.testing.assert_allclose(clf.coefs_[0], CAVAR_WH, rtol=1e-6)
    assert clf.n_iter_ == 10_000
    assert len(clf.loss_curve_) == 100_000


def test_cavar_single_fit_of_100000_updates():
    clf = fit_quietly(tutorial_classifier(100_000), X, Y_XOR)
    np.testing.assert_allclose(clf.coefs_[0], CAVAR_WH, rtol=1e-6)
    assert clf.n_iter_ == 100_000
    assert clf.t_ == 400_000
    # the loss is the tutorial's half squared error, averaged over rows
    l2 = sigmoid_forward(initial_weights((4,)))
    assert clf.loss_curve_[0] == pytest.approx(0.5 * np.mean((Y_XOR - l2) ** 2))
    assert clf.predict(X).tolist() == Y_XOR.tolist()


def test_trask_two_layer_output():
    clf = fit_quietly(
        tutorial_classifier(9_999, hidden_layer_sizes=(), init="uniform"),
        X,
        Y_FIRST_COLUMN,
    )
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], TRASK_OUTPUT, rtol=1e-6)
    # init='uniform' is the tutorial's 2 * np.random.random((3, 1)) - 1
    rs = np.random.RandomState(1)
    syn0 = 2 * rs.random_sample((3, 1)) - 1
    expected = tutorial_loop(X.astype(float), Y_FIRST_COLUMN, [syn0], 9_999)
    np.testing.assert_allclose(clf.coefs_[0], expected[0], rtol=1e-10)
