"""The tutorials' networks, reproduced number for number.

tol=0 asks for exactly max_iter updates: no ConvergenceWarning may be raised,
and pytest turns any warning into an error.
"""

import numpy as np
import pytest

from sklearn_tinynet.tutorial import (
    CAVAR_ERRORS,
    CAVAR_WH,
    TRASK_OUTPUT,
    Y_FIRST_COLUMN,
    Y_XOR,
    X,
    cavar_init,
    tutorial_classifier,
    tutorial_loop,
)


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
    clf = tutorial_classifier(n_updates, hidden_layer_sizes).fit(X, y)
    assert len(clf.coefs_) == len(expected)
    for W, W_expected in zip(clf.coefs_, expected):
        np.testing.assert_allclose(W, W_expected, rtol=1e-10, atol=1e-12)
    assert all(np.all(b == 0) for b in clf.intercepts_)


@pytest.mark.slow
def test_cavar_error_table_and_weights():
    clf = tutorial_classifier(10_000)
    clf.set_params(warm_start=True)
    errors = {0: np.mean(np.abs(Y_XOR - sigmoid_forward(initial_weights((4,)))))}
    for i in range(10_000, 100_001, 10_000):
        clf.fit(X, Y_XOR)  # warm start: 10,000 more updates
        errors[i] = np.mean(np.abs(Y_XOR - clf.predict_proba(X)[:, 1]))
    for i, expected in CAVAR_ERRORS.items():
        assert errors[i] == pytest.approx(expected, rel=1e-6), i
    np.testing.assert_allclose(clf.coefs_[0], CAVAR_WH, rtol=1e-6)
    assert clf.n_iter_ == 10_000  # the last call's; loss_curve_ goes on
    assert len(clf.loss_curve_) == 100_000


@pytest.mark.slow
def test_cavar_single_fit_of_100000_updates():
    clf = tutorial_classifier(100_000).fit(X, Y_XOR)
    np.testing.assert_allclose(clf.coefs_[0], CAVAR_WH, rtol=1e-6)
    assert clf.n_iter_ == 100_000
    assert clf.t_ == 400_000
    # the loss is the tutorial's half squared error, averaged over rows
    l2 = sigmoid_forward(initial_weights((4,)))
    assert clf.loss_curve_[0] == pytest.approx(0.5 * np.mean((Y_XOR - l2) ** 2))
    assert clf.predict(X).tolist() == Y_XOR.tolist()


def test_trask_two_layer_output():
    clf = tutorial_classifier(9_999, hidden_layer_sizes=(), init="uniform").fit(
        X, Y_FIRST_COLUMN
    )
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], TRASK_OUTPUT, rtol=1e-6)
    # init='uniform' is the tutorial's 2 * np.random.random((3, 1)) - 1
    rs = np.random.RandomState(1)
    syn0 = 2 * rs.random_sample((3, 1)) - 1
    expected = tutorial_loop(X.astype(float), Y_FIRST_COLUMN, [syn0], 9_999)
    np.testing.assert_allclose(clf.coefs_[0], expected[0], rtol=1e-10)
