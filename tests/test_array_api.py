"""Array API dispatch: the same training on array_api_strict and PyTorch arrays."""

import os

import numpy as np
import pytest
import scipy
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
