"""Extreme but valid input, divergence, interruption, repeatability and persistence."""

import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynet import TinyNetClassifier, _solvers


def check_probabilities(clf, X):
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert np.isfinite(clf.predict_log_proba(X)).all()
    assert np.isfinite(clf.decision_function(X)).all()
    assert set(np.unique(clf.predict(X))) <= set(clf.classes_)
    for W in clf.coefs_ + clf.intercepts_:
        assert np.isfinite(W).all()


def fit_without_runtime_warnings(clf, X, y, **kwargs):
    """Fit; a ConvergenceWarning is allowed, any other warning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **kwargs)


BASE_X, BASE_Y = make_classification(
    n_samples=120, n_features=6, n_informative=3, n_classes=3, random_state=0
)


@pytest.mark.parametrize(
    "scale, dtype",
    [
        (1e300, np.float64),
        (1e-300, np.float64),
        (1e30, np.float32),
        (1e-30, np.float32),
    ],
)
@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_extreme_feature_scales(scale, dtype, solver):
    X = (BASE_X * scale).astype(dtype)
    clf = TinyNetClassifier((8,), solver=solver, random_state=0)
    with np.errstate(all="ignore"):  # only the estimator's own warnings count
        pass
    fit_without_runtime_warnings(clf, X, BASE_Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_probabilities(clf, X)
        check_probabilities(clf, X[:5] * 0)


@pytest.mark.parametrize(
    "X, y",
    [
        (np.c_[BASE_X, np.ones(120), np.ones(120)], BASE_Y),  # constant columns
        (np.c_[BASE_X, BASE_X], BASE_Y),  # duplicated columns
        (np.r_[BASE_X, BASE_X[:1]], np.r_[BASE_Y, 7]),  # one sample of a class
        (BASE_X[:2], np.array([0, 1])),  # two samples in all
        (np.random.RandomState(0).normal(size=(20, 5000)), np.arange(20) % 2),  # wide
        (BASE_X, (np.arange(120) == 0).astype(int)),  # 1 positive in 120
    ],
    ids=[
        "constant",
        "duplicated",
        "one-of-a-class",
        "two-samples",
        "wide",
        "imbalance",
    ],
)
@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_awkward_data_fits_cleanly(X, y, solver):
    clf = fit_without_runtime_warnings(
        TinyNetClassifier((8,), solver=solver, random_state=0), X, y
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_probabilities(clf, X)


def test_huge_logits_give_finite_probabilities():
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    clf = TinyNetClassifier((4,), random_state=0).fit(X, y)
    clf.coefs_[-1] *= 1e200  # saturate every output
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_probabilities(clf, X)


@pytest.mark.parametrize("activation", ["logistic", "relu", "identity"])
def test_divergence_keeps_last_finite_weights(activation):
    X, y = make_classification(n_samples=100, random_state=0)
    clf = TinyNetClassifier(
        (20,),
        solver="gd",
        learning_rate_init=1e8,
        activation=activation,
        max_iter=200,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X * 1e3, y)
    messages = [str(w.message) for w in caught]
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught), messages
    assert any("lower learning_rate_init" in m for m in messages), messages
    check_probabilities(clf, X)
    assert np.isfinite(clf.loss_curve_).all()


def test_interrupted_warm_start_fit_keeps_previous_model(monkeypatch):
    X, y = make_blobs(n_samples=50, centers=2, random_state=0)
    clf = TinyNetClassifier((4,), solver="gd", warm_start=True, random_state=0)
    clf.fit(X, y)
    coefs = [W.copy() for W in clf.coefs_]
    curve = list(clf.loss_curve_)
    calls = []

    def interrupt(self, theta, grad):
        calls.append(1)
        theta -= 1.0  # a step that a finished fit would keep
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(_solvers.GradientDescent, "step", interrupt)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    for W, W_before in zip(clf.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    assert clf.loss_curve_ == curve
    clf.predict(X)


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_repeated_fits_are_bit_identical(solver):
    X, y = make_classification(n_samples=300, random_state=0)
    fits = [
        TinyNetClassifier(
            (8,), solver=solver, max_iter=30, tol=0.0, random_state=3
        ).fit(X, y)
        for _ in range(2)
    ]
    for W, W_again in zip(fits[0].coefs_, fits[1].coefs_):
        np.testing.assert_array_equal(W, W_again)


def test_predict_is_thread_safe():
    X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
    clf = TinyNetClassifier((32,), random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: clf.predict_proba(X), range(32)))
        labels = list(pool.map(lambda _: clf.predict(X), range(32)))
    for proba in results:
        np.testing.assert_array_equal(proba, expected)
    for predicted in labels:
        np.testing.assert_array_equal(predicted, clf.predict(X))


def test_pickle_and_joblib_round_trips(tmp_path):
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    clf = TinyNetClassifier((5,), random_state=0).fit(X, np.array(["a", "b", "c"])[y])
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    path = tmp_path / "model.joblib"
    joblib.dump(clf, path)
    np.testing.assert_array_equal(joblib.load(path).predict(X), clf.predict(X))


def test_skops_round_trip_trusts_only_this_package():
    sio = pytest.importorskip("skops.io")
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    clf = TinyNetClassifier((5,), solver="gd", random_state=0).fit(X, y)
    dumped = sio.dumps(clf)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert untrusted == ["sklearn_tinynet.TinyNetClassifier"] or all(
        t.startswith("sklearn_tinynet.") and "._" not in t for t in untrusted
    ), untrusted
    loaded = sio.loads(dumped, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("sparse", [False, True])
def test_row_order_and_integer_weights_give_bit_identical_models(solver, sparse):
    import scipy.sparse as sp

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 5))
    y = rng.randint(0, 3, 30)
    counts = rng.randint(0, 4, 30)
    convert = sp.csr_matrix if sparse else np.asarray
    params = dict(
        hidden_layer_sizes=(6,),
        solver=solver,
        max_iter=60,
        tol=0.0,
        class_weight="balanced",
        random_state=0,
    )
    weighted = TinyNetClassifier(**params).fit(convert(X), y, sample_weight=counts)
    repeated = TinyNetClassifier(**params).fit(
        convert(np.repeat(X, counts, axis=0)), np.repeat(y, counts)
    )
    order = rng.permutation(30)
    shuffled = TinyNetClassifier(**params).fit(
        convert(X[order]), y[order], sample_weight=counts[order]
    )
    for other in (repeated, shuffled):
        for W, W_other in zip(weighted.coefs_, other.coefs_):
            np.testing.assert_array_equal(W, W_other)
    assert repeated.t_ == 60 * counts.sum()
