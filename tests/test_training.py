"""The fit loop: stopping rules, weight errors, momentum updates, n_jobs."""

import functools
import os
import warnings

import numpy as np
import pytest
from scipy.special import expit, log_softmax, softmax
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from test_engine import fixed_init, per_row_log_loss

from sklearn_tinynet import TinyNetClassifier
from sklearn_tinynet._training import NoImprovementStopper


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


def test_no_improvement_boundaries():
    # exactly best - tol counts as an improvement; a tie is not a new best
    stopper = NoImprovementStopper(tol=0.25, patience=0)
    assert stopper.update(1.0) == (True, False)
    assert stopper.update(0.75) == (True, False)  # 0.75 > 1.0 - 0.25 is False
    assert stopper.update(0.75) == (False, True)  # tie: not better, no progress
    stopper = NoImprovementStopper(tol=0.0, patience=0)
    stopper.update(1.0)
    assert stopper.update(1.0) == (False, False)  # tol=0: a tie is no worse
    assert stopper.update(1.5) == (False, True)


def expected_n_iter(curve, tol, patience, max_iter):
    """scikit-learn MLP's rule, replayed on a recorded curve.

    A value is "no improvement" when ``value > best - tol``; training stops
    at the iteration whose record makes the count of consecutive
    no-improvement values exceed ``patience``, which makes no update. Returns
    the number of iterations, the stopping one included.
    """
    best, count = np.inf, 0
    for k, value in enumerate(curve[:max_iter]):
        count = count + 1 if value > best - tol else 0
        best = min(best, value)
        if count > patience:
            return k + 1  # k updates, then the record that stopped training
    return max_iter


def logistic_data(n=30, n_features=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features))
    y = (X @ rng.normal(size=n_features) + rng.normal(size=n) > 0).astype(int)
    return X, y


# --- stopping rule ---------------------------------------------------------


def constant_loss_problem():
    """Zero features, no bias, no hidden layer: the loss is log(2) at every step."""
    X = np.zeros((6, 2))
    y = np.array([0, 1, 0, 1, 0, 1])
    params = dict(
        hidden_layer_sizes=(),
        solver="gd",
        fit_intercept=False,
        alpha=0.0,
        momentum=0.0,
        random_state=0,
    )
    return X, y, params


def test_constant_loss_with_zero_tol_never_counts_as_no_improvement():
    X, y, params = constant_loss_problem()
    clf = TinyNetClassifier(tol=0.0, n_iter_no_change=2, max_iter=12, **params)
    clf.fit(X, y)  # tol=0: no ConvergenceWarning at max_iter
    assert clf.loss_curve_ == [np.log(2)] * 12
    assert clf.n_iter_ == 12


@pytest.mark.parametrize("patience", [1, 2, 5])
def test_constant_loss_with_positive_tol_stops_after_patience_plus_one(patience):
    X, y, params = constant_loss_problem()
    clf = TinyNetClassifier(
        tol=1e-12, n_iter_no_change=patience, max_iter=50, **params
    ).fit(X, y)
    # the first value is a new best; each later one is no improvement, and
    # training stops when their count exceeds the patience
    assert clf.n_iter_ == len(clf.loss_curve_) == patience + 2
    assert clf.n_iter_ == expected_n_iter(clf.loss_curve_, 1e-12, patience, 50)


def boundary_tols(curve, j):
    """tol putting record j exactly on ``value > best - tol``, and one just above.

    For close values a - b is exact (Sterbenz), so with ``tol = curve[j-1] -
    curve[j]``, ``curve[j-1] - tol`` is exactly ``curve[j]``; with the second
    tol it is the float just below ``curve[j]``.
    """
    best, value = curve[j - 1], curve[j]
    tol = best - value
    below = float(np.nextafter(value, -np.inf))
    tol_above = best - below
    assert 0 < tol < tol_above
    assert best - tol == value and best - tol_above == below
    return tol, tol_above


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("j", [3, 6])
def test_an_improvement_exactly_equal_to_tol_counts_as_improvement(early_stopping, j):
    X, y = logistic_data(n=40)
    params = dict(
        hidden_layer_sizes=(),
        solver="gd",
        momentum=0.0,
        learning_rate_init=0.3,
        alpha=0.0,
        n_iter_no_change=3,
        early_stopping=early_stopping,
        validation_fraction=0.3,
        random_state=0,
    )
    name = "validation_loss_curve_" if early_stopping else "loss_curve_"
    max_iter = 40
    full = TinyNetClassifier(tol=0.0, max_iter=max_iter, **params).fit(X, y)
    curve = getattr(full, name)
    # a strictly decreasing curve with strictly shrinking steps around j
    steps = -np.diff(curve[: j + 6])
    assert np.all(steps > 0) and np.all(np.diff(steps) < 0)
    tol_on, tol_above = boundary_tols(curve, j)
    patience = params["n_iter_no_change"]
    on_boundary = expected_n_iter(curve, tol_on, patience, max_iter)
    above = expected_n_iter(curve, tol_above, patience, max_iter)
    # record j improves by exactly tol: still an improvement, one more update
    assert (on_boundary, above) == (j + patience + 2, j + patience + 1)
    for tol, expected in [(tol_on, on_boundary), (tol_above, above)]:
        clf = TinyNetClassifier(tol=tol, max_iter=max_iter, **params).fit(X, y)
        assert getattr(clf, name) == curve[:expected]
        assert clf.n_iter_ == expected


def one_hot_rows_problem(n=12):
    """One-hot rows, no bias, no hidden layer: a held-out row's logit never moves.

    Only a row itself puts gradient on the weights of its feature, so the
    validation loss is exactly constant while the training loss falls.
    """
    X = np.eye(n)
    y = np.arange(n) % 2
    W0 = np.random.RandomState(42).normal(size=(n, 1))
    params = dict(
        hidden_layer_sizes=(),
        solver="gd",
        fit_intercept=False,
        alpha=0.0,
        momentum=0.0,
        learning_rate_init=1.0,
        early_stopping=True,
        validation_fraction=0.3,
        random_state=0,
    )
    return X, y, W0, params


@pytest.mark.parametrize("tol, n_iter", [(0.0, 15), (1e-3, 5)])
def test_tied_validation_losses_keep_the_first_weights(tol, n_iter):
    X, y, W0, params = one_hot_rows_problem()
    clf = TinyNetClassifier(
        tol=tol, max_iter=15, n_iter_no_change=3, init=fixed_init(W0), **params
    ).fit(X, y)
    curve = clf.validation_loss_curve_
    assert len(set(curve)) == 1  # exact ties throughout
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]  # while the weights moved
    assert clf.n_iter_ == n_iter == expected_n_iter(curve, tol, 3, 15)
    assert clf.best_validation_loss_ == curve[0]
    # a tie is not a new best: the weights of the first record are kept
    np.testing.assert_array_equal(clf.coefs_[0], W0)


# --- weights that leave nothing to train on ----------------------------------


def test_all_zero_sample_weight_is_rejected():
    X, y = logistic_data()
    with pytest.raises(ValueError, match="(?i)weight"):
        TinyNetClassifier((3,)).fit(X, y, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize(
    "labels, class_weight",
    [
        (np.array([3, 7]), {3: 0.0, 7: 0.0}),
        (np.array(["a", "b", "c"]), {"a": 0, "b": 0, "c": 0.0}),
    ],
)
def test_class_weight_zero_for_every_class_is_rejected(labels, class_weight):
    X, _ = logistic_data()
    y = labels[np.arange(len(X)) % len(labels)]
    clf = TinyNetClassifier((3,), class_weight=class_weight)
    with pytest.raises(ValueError, match="positive weight"):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_class_weight_zero_with_zero_sample_weight_elsewhere_is_rejected():
    X, y = logistic_data()
    sample_weight = (y == 1).astype(float)  # only class 1 weighs ...
    clf = TinyNetClassifier((3,), class_weight={1: 0.0})  # ... and it weighs 0
    with pytest.raises(ValueError, match="positive weight"):
        clf.fit(X, y, sample_weight=sample_weight)


def test_early_stopping_that_would_hold_out_every_weighted_row_is_rejected():
    X, y = logistic_data()
    sample_weight = np.zeros(len(y))
    sample_weight[5] = 1.0  # one row of positive weight: it is held out
    clf = TinyNetClassifier((3,), early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="early_stopping"):
        clf.fit(X, y, sample_weight=sample_weight)
    # ten copies of one row are one row for the split, held out together
    X_copies = np.vstack([np.repeat(X[:1], 10, axis=0), X[1:2]])
    y_copies = np.r_[np.repeat(y[:1], 10), 1 - y[:1]]
    sample_weight = np.r_[np.ones(10), 0.0]
    with pytest.raises(ValueError, match="early_stopping"):
        clf.fit(X_copies, y_copies, sample_weight=sample_weight)


# --- gradient descent with momentum, against a textbook reference ----------


def reference_gd(X, Y, W0, learning_rate, momentum, nesterov, n_updates, softmax_out):
    """Full-batch gd of a logistic/softmax regression with scikit-learn's momentum.

    ``velocity = momentum * velocity - lr * grad``; the step is ``velocity``,
    or ``momentum * velocity - lr * grad`` with Nesterov's momentum. Returns
    the weights, the bias and the loss before each update.
    """
    theta = [W0.copy(), np.zeros(W0.shape[1])]
    velocity = [np.zeros_like(t) for t in theta]
    losses = []
    n = len(X)
    for _ in range(n_updates):
        z = X @ theta[0] + theta[1]
        if softmax_out:
            losses.append(-np.mean(np.sum(Y * log_softmax(z, axis=1), axis=1)))
            delta = softmax(z, axis=1) - Y
        else:
            losses.append(np.mean(np.logaddexp(0, z) - Y * z))
            delta = expit(z) - Y
        grads = [X.T @ delta / n, delta.mean(axis=0)]
        for t, v, g in zip(theta, velocity, grads):
            v *= momentum
            v -= learning_rate * g
            t += momentum * v - learning_rate * g if nesterov else v
    return theta[0], theta[1], losses


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 1.0])
def test_gd_momentum_matches_a_reference(momentum, nesterov, n_classes):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(25, 4))
    y = np.arange(25) % n_classes
    Y = y[:, None].astype(float) if n_classes == 2 else np.eye(n_classes)[y]
    W0 = rng.normal(scale=0.5, size=(4, Y.shape[1]))
    n_updates = 3
    clf = TinyNetClassifier(
        (),
        solver="gd",
        alpha=0.0,
        learning_rate_init=0.4,
        momentum=momentum,
        nesterovs_momentum=nesterov,
        max_iter=n_updates,
        tol=0.0,
        init=fixed_init(W0),
    ).fit(X, y)
    W, b, losses = reference_gd(
        X, Y, W0, 0.4, momentum, nesterov, n_updates, n_classes > 2
    )
    np.testing.assert_allclose(clf.coefs_[0], W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.intercepts_[0], b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.loss_curve_, losses, rtol=1e-12)
    if momentum:  # momentum changes the second and later updates
        W_plain, _, _ = reference_gd(
            X, Y, W0, 0.4, 0.0, False, n_updates, n_classes > 2
        )
        assert np.abs(clf.coefs_[0] - W_plain).max() > 1e-4


# --- n_jobs ----------------------------------------------------------------


def test_n_jobs_zero_is_rejected_at_fit():
    # EXPECTED TO FAIL on the current code (a real bug): n_jobs=0 passes
    # parameter validation and only fails, with an unrelated message from
    # ThreadPoolExecutor, on data large enough for several blocks.
    X, y = logistic_data()
    with pytest.raises(ValueError, match="n_jobs"):
        TinyNetClassifier((3,), max_iter=5, tol=0.0, n_jobs=0).fit(X, y)


def multi_block_data():
    """6000 rows x hidden 32: more than 2**17 activations, several row blocks."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6000, 10))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("n_cores", [1, 4, None])
def test_n_jobs_more_negative_than_the_cores_uses_one_thread(monkeypatch, n_cores):
    monkeypatch.setattr(os, "cpu_count", lambda: n_cores)
    X, y = multi_block_data()
    params = dict(
        hidden_layer_sizes=(32,), solver="gd", max_iter=3, tol=0.0, random_state=0
    )
    reference = TinyNetClassifier(n_jobs=1, **params).fit(X, y)
    clf = TinyNetClassifier(n_jobs=-100, **params).fit(X, y)
    for W, W_ref in zip(
        clf.coefs_ + clf.intercepts_, reference.coefs_ + reference.intercepts_
    ):
        np.testing.assert_array_equal(W, W_ref)


def binary_log_loss(clf, X, y):
    """Mean log-loss of a fitted logistic network, by a plain forward pass."""
    return float(
        np.mean(per_row_log_loss(clf.coefs_, clf.intercepts_, X, y, "logistic"))
    )


X_SMALL, y_small = make_classification(n_samples=60, n_features=5, random_state=0)
# the losses below are those of this starting network
GD = dict(
    solver="gd",
    momentum=0.0,
    tol=0.0,
    alpha=0.0,
    init="glorot_uniform",
    random_state=0,
)


def test_divergence_keeps_the_lowest_loss_weights_and_says_so():
    clf = TinyNetClassifier((3,), learning_rate_init=20.0, max_iter=6, **GD)
    message = (
        r"Training diverged: the loss rose above its starting value. Kept the "
        r"weights with the lowest training loss \(the losses are in loss_curve_\); "
        r"lower learning_rate_init \(now 20.0\) or scale the features.$"
    )
    with pytest.warns(ConvergenceWarning, match=message):
        clf.fit(X_SMALL, y_small)
    assert clf.loss_curve_[0] == pytest.approx(0.764887, rel=1e-6)
    lowest = min(clf.loss_curve_)
    assert lowest == pytest.approx(0.5966, rel=1e-4) and lowest < clf.loss_curve_[-1]
    assert binary_log_loss(clf, X_SMALL, y_small) == pytest.approx(lowest, rel=1e-12)


def test_a_warm_start_diverges_on_its_own_curve():
    clf = TinyNetClassifier((3,), learning_rate_init=5.0, max_iter=12, **GD)
    clf.fit(X_SMALL, y_small)
    clf.set_params(warm_start=True, learning_rate_init=30.0, max_iter=4)
    with pytest.warns(ConvergenceWarning, match="Training diverged"):
        clf.fit(X_SMALL, y_small)
    this_call = clf.loss_curve_[12:]
    # rose within this call, though still below where the first fit started
    assert this_call[-1] > this_call[0] and this_call[-1] < clf.loss_curve_[0]
    kept = binary_log_loss(clf, X_SMALL, y_small)
    assert kept == pytest.approx(min(this_call), rel=1e-12)


def test_lbfgs_at_max_iter_warns():
    clf = TinyNetClassifier((3,), solver="lbfgs", max_iter=2, random_state=0)
    message = r"Stopped after max_iter=2 iterations without converging; increase"
    with pytest.warns(ConvergenceWarning, match=message + r" max_iter or tol\.$"):
        clf.fit(X_SMALL, y_small)
    assert clf.n_iter_ == 2


def test_lbfgs_ignores_n_iter_no_change_without_early_stopping():
    # full-batch L-BFGS crosses plateaus; only scipy's gradient test stops it
    fits = [
        TinyNetClassifier(
            (3,), n_iter_no_change=n, tol=1e-6, max_iter=500, random_state=0
        ).fit(X_SMALL, y_small)
        for n in (1, 50)
    ]
    assert fits[0].n_iter_ == fits[1].n_iter_ > 2
    np.testing.assert_array_equal(fits[0].coefs_[0], fits[1].coefs_[0])
    assert fits[0].best_loss_ == min(fits[0].loss_curve_)


def test_a_loss_that_rose_over_two_updates_is_divergence():
    clf = TinyNetClassifier((3,), learning_rate_init=20.0, max_iter=2, **GD)
    with pytest.warns(ConvergenceWarning, match="Training diverged") as caught:
        clf.fit(X_SMALL, y_small)
    assert len(caught) == 1 and clf.loss_curve_[1] > clf.loss_curve_[0]
    # the weights before the first update, whose loss was lowest, are kept
    kept = binary_log_loss(clf, X_SMALL, y_small)
    assert kept == pytest.approx(clf.loss_curve_[0], rel=1e-12)


def test_divergence_to_infinity_warns_once():
    X, y = make_classification(n_samples=100, random_state=0)
    clf = TinyNetClassifier(
        (20,), activation="identity", learning_rate_init=1e8, max_iter=100, **GD
    )
    with pytest.warns(ConvergenceWarning, match="Training diverged") as caught:
        clf.fit(X * 1e100, y)
    assert len(caught) == 1


def test_a_refit_without_early_stopping_clears_the_validation_curve():
    clf = TinyNetClassifier((3,), early_stopping=True, max_iter=5, tol=0.0)
    clf.set_params(random_state=0).fit(X_SMALL, y_small)
    assert len(clf.validation_loss_curve_) == 5 and clf.best_validation_loss_ > 0
    clf.set_params(early_stopping=False).fit(X_SMALL, y_small)
    assert clf.validation_loss_curve_ is None and clf.best_validation_loss_ is None


# --- the last update is checked too ------------------------------------------


def test_a_single_diverging_update_is_not_returned():
    clf = TinyNetClassifier((3,), learning_rate_init=1e4, max_iter=1, **GD)
    message = (
        r"Training diverged: the loss rose above its starting value. Kept the "
        r"starting weights \(the losses are in loss_curve_\); lower learning_rate_init"
    )
    with pytest.warns(ConvergenceWarning, match=message):
        clf.fit(X_SMALL, y_small)
    start = TinyNetClassifier((3,), max_iter=1, **GD)
    start.set_params(learning_rate_init=1e-300).fit(X_SMALL, y_small)
    loss = binary_log_loss(clf, X_SMALL, y_small)
    assert loss == pytest.approx(clf.loss_curve_[0], rel=1e-12)
    for W, W_start in zip(clf.coefs_, start.coefs_):
        np.testing.assert_array_equal(W, W_start)


# a step of 1e308 on rows of 1e3: the weights overflow
X_WIDE = X_SMALL * 1e3
OVERFLOW = dict(learning_rate_init=1e308)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_partial_fit_never_returns_a_diverging_update(momentum):
    params = {**GD, "momentum": momentum}
    clf = TinyNetClassifier((3,), **OVERFLOW, **params)
    with pytest.warns(ConvergenceWarning, match="Kept the starting weights"):
        clf.partial_fit(X_WIDE, y_small, classes=[0, 1])
    for _ in range(3):
        clf.partial_fit(X_WIDE, y_small)  # warned once already
        proba = clf.predict_proba(X_WIDE)
        assert np.isfinite(proba).all()
        assert binary_log_loss(clf, X_WIDE, y_small) == pytest.approx(
            clf.loss_curve_[0], rel=1e-12
        )
        assert clf.loss_ == clf.loss_curve_[0]
    assert clf._velocity is None  # the diverging momentum is not carried over


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_partial_fit_update_that_raises_the_loss_is_kept(momentum):
    # fit keeps such an update within its run, so partial_fit does too
    params = {**GD, "momentum": momentum}
    clf = TinyNetClassifier((3,), learning_rate_init=1e4, **params)
    start = TinyNetClassifier((3,), learning_rate_init=1e4, **params)
    start.partial_fit(X_SMALL, y_small, classes=[0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.partial_fit(X_SMALL, y_small, classes=[0, 1])
        clf.partial_fit(X_SMALL, y_small)
    assert clf.loss_curve_[1] > clf.loss_curve_[0]  # the first update raised it
    assert not np.array_equal(clf.coefs_[0], start.coefs_[0])


def test_a_last_update_that_lowers_the_loss_is_kept():
    # the final weights are the lowest seen: returned, without a warning
    clf = TinyNetClassifier((3,), learning_rate_init=0.1, max_iter=3, **GD)
    clf.fit(X_SMALL, y_small)
    final = binary_log_loss(clf, X_SMALL, y_small)
    assert final < min(clf.loss_curve_)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_divergence_message_says_which_weights_were_kept(early_stopping):
    clf = TinyNetClassifier(
        (3,), learning_rate_init=20.0, max_iter=6, early_stopping=early_stopping, **GD
    )
    kept = "lowest validation loss" if early_stopping else "lowest training loss"
    with pytest.warns(ConvergenceWarning, match=f"Kept the weights with the {kept}"):
        clf.fit(X_SMALL, y_small)
    if early_stopping:
        assert clf.best_validation_loss_ == min(clf.validation_loss_curve_)


def test_divergence_and_max_iter_give_one_warning():
    clf = TinyNetClassifier((3,), learning_rate_init=20.0, max_iter=6, **GD)
    with pytest.warns(ConvergenceWarning) as caught:
        clf.set_params(tol=1e-4).fit(X_SMALL, y_small)
    assert [str(w.message)[:18] for w in caught] == ["Training diverged:"]


# --- warnings point at the caller's line -------------------------------------


def warning_filename(fit, *args, **kwargs):
    with pytest.warns(ConvergenceWarning) as caught:
        fit(*args, **kwargs)
    assert len(caught) == 1
    return caught[0].filename


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_max_iter_warning_points_at_the_callers_line(solver):
    clf = TinyNetClassifier((3,), solver=solver, max_iter=2, random_state=0)
    assert warning_filename(clf.fit, X_SMALL, y_small) == __file__


def test_divergence_warning_points_at_the_callers_line():
    clf = TinyNetClassifier((3,), learning_rate_init=1e4, max_iter=1, **GD)
    assert warning_filename(clf.fit, X_SMALL, y_small) == __file__
    clf = TinyNetClassifier((3,), **OVERFLOW, **GD)
    assert warning_filename(clf.fit, X_WIDE, y_small) == __file__
    clf = TinyNetClassifier((3,), **OVERFLOW, **GD)
    partial_fit = clf.partial_fit
    assert warning_filename(partial_fit, X_WIDE, y_small, classes=[0, 1]) == __file__


def test_warnings_from_a_pipeline_point_at_the_callers_line():
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(TinyNetClassifier((3,), max_iter=2, random_state=0))
    assert warning_filename(pipe.fit, X_SMALL, y_small) == __file__


def test_warnings_from_cross_validation_point_at_the_callers_line():
    from sklearn.model_selection import cross_val_score

    clf = TinyNetClassifier((3,), max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning) as caught:
        cross_val_score(clf, X_SMALL, y_small, cv=2)
    assert [w.filename for w in caught] == [__file__, __file__]


def column_y_warning(fit, *args, **kwargs):
    """The one DataConversionWarning that ``fit`` gives, as (filename, text)."""
    from sklearn.exceptions import DataConversionWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit(*args, **kwargs)
    (warning,) = [w for w in caught if w.category is DataConversionWarning]
    return warning.filename, str(warning.message)


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_a_column_y_warns_as_mlp_does_at_the_callers_line(estimator):
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline

    from sklearn_tinynet import TinyNetRegressor

    mlp, tiny = {
        "classifier": (MLPClassifier, TinyNetClassifier),
        "regressor": (MLPRegressor, TinyNetRegressor),
    }[estimator]
    column = y_small[:, None].astype(float)
    mlp_fit = mlp(hidden_layer_sizes=(3,), max_iter=2).fit
    _, mlp_text = column_y_warning(mlp_fit, X_SMALL, column)
    # scikit-learn's text, which names the fix (ravel()); MLP's own points
    # inside scikit-learn, TinyNet's at the line that called fit
    assert "ravel()" in mlp_text
    gd = tiny((3,), solver="gd", max_iter=2, random_state=0)
    partial_fit = functools.partial(gd.partial_fit, X_SMALL, column)
    if estimator == "classifier":
        partial_fit = functools.partial(partial_fit, classes=[0, 1])
    pipe = make_pipeline(tiny((3,), max_iter=2, random_state=0))
    for fit in [tiny((3,), max_iter=2).fit, partial_fit, pipe.fit]:
        args = () if fit is partial_fit else (X_SMALL, column)
        assert column_y_warning(fit, *args) == (__file__, mlp_text)


def test_a_loop_of_diverging_partial_fit_calls_warns_once_until_the_next_fit():
    clf = TinyNetClassifier((3,), **OVERFLOW, **GD)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(4):
            clf.partial_fit(X_WIDE, y_small, classes=[0, 1])
        assert [w.category for w in caught] == [ConvergenceWarning]
        assert np.isfinite(clf.predict_proba(X_WIDE)).all()
        clf.set_params(max_iter=1).fit(X_WIDE, y_small)
        clf.partial_fit(X_WIDE, y_small)
    assert [w.category for w in caught] == [ConvergenceWarning] * 3


# --- n_jobs ------------------------------------------------------------------


@pytest.mark.parametrize("n_jobs, n_threads", [(-1, 4), (-2, 3), (-4, 1), (-9, 1)])
def test_negative_n_jobs_follow_joblib(monkeypatch, n_jobs, n_threads):
    from sklearn_tinynet import _engine

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert _engine.effective_n_threads(n_jobs) == n_threads


@pytest.mark.parametrize(
    "params, sample_weight",
    [({}, 1e-200), ({"alpha": 1e200}, 1.0)],
    ids=["tiny_weights", "huge_alpha"],
)
def test_lbfgs_that_makes_no_step_says_so(params, sample_weight):
    # alpha over the summed weights near 1e200: no trial step lowers the loss
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    clf = TinyNetClassifier(random_state=0, **params)
    with pytest.warns(ConvergenceWarning, match="L-BFGS made no step.*alpha"):
        clf.fit(X, y, sample_weight=np.full(len(y), sample_weight))
    assert clf.n_iter_ == 0


def test_worker_threads_keep_the_callers_numpy_error_state():
    # 2,000 rows x 100 units run in lanes on 2 threads; the line search's
    # overflowing trials must not warn from the workers
    X, y = make_classification(n_samples=2000, n_features=4, random_state=0)
    clf = TinyNetClassifier(n_jobs=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y, sample_weight=np.full(len(y), 1e-200))
    assert [w.category for w in caught] == [ConvergenceWarning]


def test_loss_is_that_of_the_weights_returned_after_divergence():
    # the curve records the diverged losses; loss_ describes the kept weights
    clf = TinyNetClassifier((3,), learning_rate_init=1e4, max_iter=5, **GD)
    with pytest.warns(ConvergenceWarning, match="Kept the starting weights"):
        clf.fit(X_SMALL, y_small)
    assert max(clf.loss_curve_) > 100 * clf.loss_curve_[0]
    assert clf.loss_ == clf.loss_curve_[0]
    assert clf.loss_ == pytest.approx(binary_log_loss(clf, X_SMALL, y_small), rel=1e-12)
