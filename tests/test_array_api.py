"""Array API dispatch: training on array_api_strict and PyTorch agrees with numpy."""

import os

import numpy as np
import pytest
import scipy
import scipy.sparse as sp
from sklearn import config_context
from sklearn.datasets import make_classification

from sklearn_tinynet import TinyNetClassifier

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("SCIPY_ARRAY_API") != "1",
        reason="Array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported",
    ),
    pytest.mark.skipif(
        tuple(int(part) for part in scipy.__version__.split(".")[:2]) < (1, 14),
        reason="scikit-learn's Array API dispatch needs scipy >= 1.14",
    ),
]

X, y = make_classification(
    n_samples=300, n_features=8, n_informative=4, n_classes=3, random_state=0
)


def namespaces():
    """(name, xp) for the Array API libraries installed here."""
    found = []
    try:
        import array_api_strict

        found.append(("array_api_strict", array_api_strict))
    except ImportError:
        pass
    try:
        import torch

        found.append(("torch", torch))
    except ImportError:
        pass
    return found


NAMESPACES = namespaces()
needs_namespaces = pytest.mark.skipif(
    not NAMESPACES, reason="install array-api-strict or torch to run these"
)


def to_numpy(array):
    return np.asarray(array.cpu() if hasattr(array, "cpu") else array)


@needs_namespaces
@pytest.mark.parametrize("name, xp", NAMESPACES, ids=[n for n, _ in NAMESPACES])
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_float64_fit_matches_numpy(name, xp, solver):
    params = dict(
        hidden_layer_sizes=(6,), solver=solver, max_iter=40, tol=0.0, random_state=0
    )
    reference = TinyNetClassifier(**params).fit(X, y)
    X_xp, y_xp = xp.asarray(X), xp.asarray(y)
    with config_context(array_api_dispatch=True):
        clf = TinyNetClassifier(**params).fit(X_xp, y_xp)
        proba = clf.predict_proba(X_xp)
        labels = clf.predict(X_xp)
        scores = clf.decision_function(X_xp)
        assert isinstance(clf.score(X_xp, y_xp), float)
    # everything stays in the namespace of X
    for array in [*clf.coefs_, *clf.intercepts_, proba, labels, scores]:
        assert type(array) is type(X_xp)
    for W, W_ref in zip(clf.coefs_, reference.coefs_):
        np.testing.assert_allclose(to_numpy(W), W_ref, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(to_numpy(proba), reference.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(to_numpy(labels), reference.predict(X))


@needs_namespaces
@pytest.mark.parametrize("name, xp", NAMESPACES, ids=[n for n, _ in NAMESPACES])
@pytest.mark.parametrize("dtype", [str, object])
def test_string_labels_stay_numpy_as_in_scikit_learns_classifiers(name, xp, dtype):
    # no Array API dtype holds strings: y, classes_ and predict's labels are
    # numpy, as LogisticRegression's; the probabilities are in X's namespace
    labels = np.array(["ant", "bee", "cat"], dtype=dtype)[y]
    params = dict(
        hidden_layer_sizes=(6,), solver="gd", max_iter=20, tol=0.0, random_state=0
    )
    reference = TinyNetClassifier(**params).fit(X, labels)
    X_xp = xp.asarray(X)
    monitor = pytest.importorskip("sklearn.callback").ScoringMonitor(scoring="accuracy")
    with config_context(array_api_dispatch=True):
        clf = TinyNetClassifier(**params).set_callbacks(monitor).fit(X_xp, labels)
        predicted = clf.predict(X_xp)
        proba = clf.predict_proba(X_xp)
        score = clf.score(X_xp, labels)
        partial = TinyNetClassifier(**params).partial_fit(
            X_xp, labels, classes=np.unique(labels)
        )
        partial_predicted = partial.predict(X_xp)
    np.testing.assert_array_equal(clf.classes_, reference.classes_)
    assert isinstance(predicted, np.ndarray) and type(proba) is type(X_xp)
    np.testing.assert_array_equal(predicted, reference.predict(X))
    np.testing.assert_allclose(to_numpy(proba), reference.predict_proba(X), atol=1e-6)
    assert score == pytest.approx(reference.score(X, labels))
    assert isinstance(partial_predicted, np.ndarray)
    assert partial_predicted.dtype == reference.classes_.dtype
    # the callbacks' y is numpy too: one accuracy per iteration
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "iteration"]
    assert len(rows) == 20 and rows[-1]["accuracy"] == pytest.approx(score)


def test_torch_float32_stays_float32_and_partial_fit_works():
    torch = pytest.importorskip("torch")
    X_t, y_t = torch.asarray(X, dtype=torch.float32), torch.asarray(y)
    with config_context(array_api_dispatch=True):
        clf = TinyNetClassifier((5,), solver="gd", max_iter=5, tol=0.0)
        clf.fit(X_t, y_t)
        assert all(W.dtype == torch.float32 for W in clf.coefs_ + clf.intercepts_)
        assert clf.predict_proba(X_t).dtype == torch.float32
        clf.partial_fit(X_t, y_t)
        assert clf.n_iter_ == 1 and clf.coefs_[0].dtype == torch.float32
        assert len(clf.loss_curve_) == 6


def test_gd_makes_no_round_trip_to_numpy_per_iteration(monkeypatch):
    torch = pytest.importorskip("torch")
    conversions = []
    original = torch.Tensor.numpy

    def counting_numpy(self, *args, **kwargs):
        conversions.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "numpy", counting_numpy)
    X_t, y_t = torch.asarray(X), torch.asarray(y)
    counts = []
    for max_iter in (2, 30):
        conversions.clear()
        with config_context(array_api_dispatch=True):
            TinyNetClassifier((5,), solver="gd", max_iter=max_iter, tol=0.0).fit(
                X_t, y_t
            )
        counts.append(len(conversions))
    assert counts[0] == counts[1]  # set-up only, none inside the loop


def test_a_torch_model_moves_to_numpy_for_saving():
    torch = pytest.importorskip("torch")
    array_api = pytest.importorskip("sklearn.utils._array_api")
    if not hasattr(array_api, "move_estimator_to"):
        pytest.skip("move_estimator_to needs a newer scikit-learn")
    with config_context(array_api_dispatch=True):
        clf = TinyNetClassifier((5,), random_state=0).fit(
            torch.asarray(X), torch.asarray(y)
        )
        expected = to_numpy(clf.predict_proba(torch.asarray(X)))
    on_numpy = array_api.move_estimator_to(clf, np, "cpu")
    assert all(isinstance(W, np.ndarray) for W in on_numpy.coefs_)
    np.testing.assert_allclose(on_numpy.predict_proba(X), expected, rtol=1e-12)


def test_without_dispatch_torch_input_is_converted_to_numpy():
    torch = pytest.importorskip("torch")
    clf = TinyNetClassifier((5,), random_state=0).fit(torch.asarray(X), y)
    assert isinstance(clf.coefs_[0], np.ndarray)


# --- every training path, on array_api_strict -----------------------------------


def dispatch():
    """config_context(array_api_dispatch=True), or skip where it is unavailable."""
    try:
        with config_context(array_api_dispatch=True):
            pass
    except ImportError as error:  # older scikit-learn without array-api-compat
        pytest.skip(str(error))
    return config_context(array_api_dispatch=True)


METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


def make_data(n_rows, n_features, target, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, n_features))
    scores = X[:, :3] + 0.5 * rng.normal(size=(n_rows, 3))
    if target == "binary":
        y = (scores[:, 0] > 0).astype(np.int64)
    elif target == "multiclass":
        y = np.argmax(scores, axis=1).astype(np.int64)
    else:  # multilabel
        y = (scores > 0).astype(np.int64)
    return X, y


def assert_fits_agree(X, y, rtol=1e-10, **params):
    """Fit on numpy and on array_api_strict arrays; compare everything fitted."""
    xp = pytest.importorskip("array_api_strict")
    params = dict(random_state=0, tol=0.0, **params)
    reference = TinyNetClassifier(**params).fit(X, y)
    X_xp, y_xp = xp.asarray(X), xp.asarray(y)
    with dispatch():
        clf = TinyNetClassifier(**params).fit(X_xp, y_xp)
        outputs = {method: getattr(clf, method)(X_xp) for method in METHODS}
    assert clf.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(clf.loss_curve_, reference.loss_curve_, rtol=rtol)
    if params.get("early_stopping"):
        np.testing.assert_allclose(
            clf.validation_loss_curve_, reference.validation_loss_curve_, rtol=rtol
        )
    for W, W_ref in zip(
        clf.coefs_ + clf.intercepts_, reference.coefs_ + reference.intercepts_
    ):
        assert isinstance(W, type(X_xp))
        np.testing.assert_allclose(np.asarray(W), W_ref, rtol=rtol, atol=1e-10)
    for method, output in outputs.items():
        assert isinstance(output, type(X_xp))
        expected = getattr(reference, method)(X)
        if method == "predict":
            np.testing.assert_array_equal(np.asarray(output), expected)
        else:
            np.testing.assert_allclose(
                np.asarray(output), expected, rtol=rtol, atol=1e-10
            )
    return reference


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_activations_and_targets(target, activation, solver):
    X, y = make_data(200, 6, target)
    assert_fits_agree(
        X,
        y,
        hidden_layer_sizes=(7, 5),
        activation=activation,
        solver=solver,
        max_iter=8,
    )


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_squared_error(target, solver):
    X, y = make_data(150, 5, target, seed=1)
    assert_fits_agree(
        X, y, hidden_layer_sizes=(6,), loss="squared_error", solver=solver, max_iter=8
    )


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_early_stopping_validation_loss(target, solver):
    X, y = make_data(300, 5, target, seed=2)
    reference = assert_fits_agree(
        X,
        y,
        hidden_layer_sizes=(6, 4),
        solver=solver,
        early_stopping=True,
        validation_fraction=0.3,
        max_iter=8,
    )
    assert len(reference.validation_loss_curve_) > 1


@pytest.mark.filterwarnings(
    "ignore:Training diverged:sklearn.exceptions.ConvergenceWarning"
)
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_huge_logits_stay_finite_in_losses(target):
    # logits in the thousands: a naive log(1 + exp(z)), log(sigmoid(z)) or
    # log(sum(exp(z))) overflows; neither namespace may
    X, y = make_data(100, 4, target, seed=3)
    X = 3000 * np.sign(X)
    reference = assert_fits_agree(
        X, y, hidden_layer_sizes=(), solver="gd", alpha=0.0, max_iter=1
    )
    assert np.abs(reference.decision_function(X)).max() > 800
    assert np.isfinite(reference.loss_curve_).all()
    assert np.isfinite(reference.predict_log_proba(X)).all()


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_several_blocks_of_rows(target, solver):
    X, y = make_data(5000, 10, target, seed=4)
    assert 5000 * 32 > 2**17  # rows x widest layer: the gradient is blocked
    assert_fits_agree(
        X,
        y,
        rtol=1e-9,
        hidden_layer_sizes=(32,),
        activation="tanh",
        solver=solver,
        max_iter=4,
    )


@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_several_blocks_without_hidden_layer(target):
    X, y = make_data(8000, 20, target, seed=5)
    assert 8000 * 20 > 2**17
    assert_fits_agree(X, y, rtol=1e-9, hidden_layer_sizes=(), solver="gd", max_iter=4)


def test_several_blocks_with_early_stopping():
    X, y = make_data(6000, 10, "multiclass", seed=6)
    assert_fits_agree(
        X,
        y,
        rtol=1e-9,
        hidden_layer_sizes=(32,),
        solver="gd",
        early_stopping=True,
        validation_fraction=0.5,
        max_iter=4,
    )


# --- sparse input under dispatch -------------------------------------------------


@pytest.mark.filterwarnings(
    "ignore:Training diverged:sklearn.exceptions.ConvergenceWarning"
)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("n_rows", [200, 6000])
def test_sparse_input_with_dispatch_matches_dense(fmt, n_rows):
    rng = np.random.RandomState(0)
    X = sp.random(n_rows, 30, density=0.2, format=fmt, random_state=rng)
    y = np.arange(n_rows) % 3
    params = dict(
        hidden_layer_sizes=(32,), solver="gd", max_iter=4, tol=0.0, random_state=0
    )
    dense = TinyNetClassifier(**params).fit(X.toarray(), y)
    with dispatch():
        clf = TinyNetClassifier(**params).fit(X, y)
        proba = clf.predict_proba(X)
        labels = clf.predict(X)
    for W, W_dense in zip(
        clf.coefs_ + clf.intercepts_, dense.coefs_ + dense.intercepts_
    ):
        assert isinstance(W, np.ndarray)
        np.testing.assert_allclose(W, W_dense, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(proba, dense.predict_proba(X.toarray()), rtol=1e-10)
    np.testing.assert_array_equal(labels, dense.predict(X.toarray()))


@pytest.mark.parametrize("sparse", [False, True])
def test_numpy_input_under_dispatch_is_the_plain_numpy_fit(sparse):
    # numpy (and scipy.sparse) input keeps the numpy path under dispatch,
    # canonical row order included: bit-identical, whatever the row order
    rng = np.random.RandomState(1)
    X = rng.normal(size=(300, 6)) * (rng.uniform(size=(300, 6)) < 0.4)
    y = np.arange(300) % 3
    order = rng.permutation(300)
    to_input = sp.csr_matrix if sparse else np.asarray
    params = dict(
        hidden_layer_sizes=(5,), solver="gd", max_iter=5, tol=0.0, random_state=0
    )
    plain = TinyNetClassifier(**params).fit(to_input(X), y)
    with dispatch():
        fits = [
            TinyNetClassifier(**params).fit(to_input(X), y),
            TinyNetClassifier(**params).fit(to_input(X[order]), y[order]),
        ]
    for clf in fits:
        for W, W_plain in zip(
            clf.coefs_ + clf.intercepts_, plain.coefs_ + plain.intercepts_
        ):
            assert isinstance(W, np.ndarray)
            np.testing.assert_array_equal(W, W_plain)


X_REG = X[:, :5]
Y_REG = np.column_stack([X @ np.arange(8.0), np.tanh(X[:, 0])]) * 10 + 50


@needs_namespaces
@pytest.mark.parametrize("name, xp", NAMESPACES, ids=[n for n, _ in NAMESPACES])
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_float64_fit_matches_numpy(name, xp, solver, loss):
    from sklearn_tinynet import TinyNetRegressor

    target = Y_REG if loss == "squared_error" else np.exp(Y_REG / 50)
    params = dict(
        hidden_layer_sizes=(6,), solver=solver, loss=loss, max_iter=30, tol=0.0,
        random_state=0,
    )  # fmt: skip
    reference = TinyNetRegressor(**params).fit(X_REG, target)
    X_xp, y_xp = xp.asarray(X_REG), xp.asarray(target)
    with config_context(array_api_dispatch=True):
        reg = TinyNetRegressor(**params).fit(X_xp, y_xp)
        predicted = reg.predict(X_xp)
        assert isinstance(reg.score(X_xp, y_xp), float)
    for array in [*reg.coefs_, *reg.intercepts_, predicted]:
        assert type(array) is type(X_xp)
    for W, W_ref in zip(reg.coefs_, reference.coefs_):
        np.testing.assert_allclose(to_numpy(W), W_ref, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        to_numpy(predicted), reference.predict(X_REG), rtol=1e-6, atol=1e-9
    )


def test_regressor_torch_float32_and_partial_fit():
    torch = pytest.importorskip("torch")
    from sklearn_tinynet import TinyNetRegressor

    X_t = torch.asarray(X_REG, dtype=torch.float32)
    y_t = torch.asarray(Y_REG[:, 0], dtype=torch.float32)
    with config_context(array_api_dispatch=True):
        reg = TinyNetRegressor((5,), solver="gd", max_iter=5, tol=0.0)
        reg.fit(X_t, y_t)
        assert all(W.dtype == torch.float32 for W in reg.coefs_ + reg.intercepts_)
        assert reg.predict(X_t).dtype == torch.float32
        assert reg.predict(X_t).shape == (len(X_REG),)
        reg.partial_fit(X_t, y_t)
        assert reg.n_iter_ == 1 and reg.coefs_[0].dtype == torch.float32
        assert len(reg.loss_curve_) == 6
