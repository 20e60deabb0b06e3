"""warm_start and partial_fit: the fitted network, its classes and its curves go on."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from sklearn_tinynet import TinyNetClassifier

X, y = make_blobs(n_samples=60, centers=3, random_state=0)
GD = dict(solver="gd", momentum=0.0, tol=0.0, random_state=0)


def test_partial_fit_with_other_classes_on_a_later_call_is_refused():
    clf = TinyNetClassifier((4,), **GD).partial_fit(X, y, classes=[0, 1, 2])
    coefs = [W.copy() for W in clf.coefs_]
    clf.partial_fit(X, y, classes=np.array([2, 1, 0]))  # the same classes
    clf.partial_fit(X, y)  # or none
    message = r"`classes=array\(\[0, 1, 2, 3\]\)` is not the same as on last call"
    with pytest.raises(ValueError, match=message + r" to partial_fit, was: array"):
        clf.partial_fit(X, y, classes=np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="is not the same as on last call"):
        clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 3
    assert not all(np.array_equal(W, W0) for W, W0 in zip(clf.coefs_, coefs))


@pytest.mark.parametrize("incremental", [False, True])
@pytest.mark.parametrize(
    "name, first, then",
    [
        ("loss", "log_loss", "squared_error"),
        ("loss", "squared_error", "log_loss"),
        ("activation", "logistic", "relu"),
        ("fit_intercept", True, False),
    ],
)
def test_a_changed_network_needs_a_new_fit(incremental, name, first, then):
    clf = TinyNetClassifier((4,), warm_start=True, max_iter=5, **GD)
    clf.set_params(**{name: first})
    clf.partial_fit(X, y, classes=[0, 1, 2]) if incremental else clf.fit(X, y)
    proba = clf.predict_proba(X)
    clf.set_params(**{name: then})
    message = f"{name}={then!r} differs from {name}={first!r}, with which the"
    with pytest.raises(ValueError, match=message):
        clf.partial_fit(X, y) if incremental else clf.fit(X, y)
    # set back, the model is intact and goes on
    clf.set_params(**{name: first})
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    clf.partial_fit(X, y) if incremental else clf.fit(X, y)
    # a new fit may change it
    clf.set_params(warm_start=False, **{name: then}).fit(X, y)
    assert clf._network_params[name] == then


def test_curves_continue_and_n_iter_counts_the_last_call():
    # scikit-learn's convention: max_iter bounds each call and n_iter_ counts
    # its iterations; loss_curve_ and t_ go on
    clf = TinyNetClassifier((4,), max_iter=5, warm_start=True, **GD).fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 5
    clf.fit(X, y)
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 10
    for _ in range(2):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 12
    assert clf.t_ == 12 * len(X)
    lbfgs = TinyNetClassifier((4,), max_iter=3, tol=0.0, warm_start=True)
    lbfgs.set_params(random_state=0).fit(X, y).fit(X, y)
    assert lbfgs.n_iter_ == 3 and len(lbfgs.loss_curve_) == 6


def test_validation_curve_carries_over_with_the_loss_curve():
    params = dict(max_iter=4, warm_start=True, early_stopping=True, **GD)
    clf = TinyNetClassifier((4,), **params).fit(X, y)
    first = list(clf.validation_loss_curve_)
    clf.fit(X, y)
    curve = clf.validation_loss_curve_
    assert len(curve) == len(clf.loss_curve_) == 2 * clf.n_iter_ == 8
    assert curve[:4] == first
    # this call's best weights were kept
    assert clf.best_validation_loss_ == min(curve[4:])


def test_validation_curve_is_nan_where_the_continued_fit_had_none():
    clf = TinyNetClassifier((4,), max_iter=3, warm_start=True, **GD).fit(X, y)
    assert clf.validation_loss_curve_ is None
    clf.set_params(early_stopping=True).fit(X, y)
    curve = clf.validation_loss_curve_
    assert len(curve) == len(clf.loss_curve_) == 6
    assert np.isnan(curve[:3]).all() and np.isfinite(curve[3:]).all()
    # and gone after a fit without early stopping, warm or not
    clf.set_params(early_stopping=False).fit(X, y)
    assert clf.validation_loss_curve_ is None and clf.best_validation_loss_ is None
    assert len(clf.loss_curve_) == 3 * clf.n_iter_ == 9
