"""ONNX export through skl2onnx, checked against onnxruntime."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier

pytest.importorskip("skl2onnx", reason="ONNX export needs the [onnx] extra")
rt = pytest.importorskip("onnxruntime", reason="ONNX export needs the [onnx] extra")
import skl2onnx  # noqa: E402

import sklearn_tinynet.onnx  # noqa: E402, F401  (registers the converter)

# Convergence says nothing about the fidelity of the export.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
X_BIN, y_bin = make_classification(n_samples=200, n_features=6, random_state=0)
X_MULTI, y_multi = make_blobs(n_samples=200, n_features=6, centers=4, random_state=0)
Y_MULTILABEL = np.c_[X_BIN[:, 0] > 0, X_BIN[:, 1] + X_BIN[:, 2] > 0].astype(int)


def run_onnx(model, X):
    onx = skl2onnx.to_onnx(
        model,
        X[:1].astype(np.float32),
        options={"zipmap": False},
        target_opset=17,
    )
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {session.get_inputs()[0].name: X})
    return labels, proba


def assert_same_as_sklearn(model, X):
    X32 = X.astype(np.float32)
    labels, proba = run_onnx(model, X32)
    np.testing.assert_allclose(proba, model.predict_proba(X32), atol=1e-5)
    agree = np.mean(np.asarray(labels) == model.predict(X32))
    assert agree > 0.99  # ties at p = 0.5 may break either way


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize(
    "X, y, loss",
    [
        (X_BIN, y_bin, "log_loss"),
        (X_MULTI, y_multi, "log_loss"),
        (X_MULTI, y_multi, "squared_error"),
        (X_BIN, Y_MULTILABEL, "log_loss"),
    ],
    ids=["binary", "multiclass", "multiclass-squared", "multilabel"],
)
def test_probabilities_match_predict_proba(activation, X, y, loss):
    model = TinyNetClassifier(
        (7, 5), activation=activation, loss=loss, random_state=0
    ).fit(X.astype(np.float32), y)
    assert_same_as_sklearn(model, X)


def test_string_labels_and_no_intercepts():
    labels = np.array(["ant", "bee", "cat", "dog"])[y_multi]
    model = TinyNetClassifier((5,), fit_intercept=False, random_state=0).fit(
        X_MULTI, labels
    )
    assert_same_as_sklearn(model, X_MULTI)


def test_no_hidden_layer():
    model = TinyNetClassifier((), random_state=0).fit(X_BIN, y_bin)
    assert_same_as_sklearn(model, X_BIN)


def test_inside_a_pipeline():
    pipe = make_pipeline(StandardScaler(), TinyNetClassifier((8,), random_state=0))
    pipe.fit(X_MULTI * 10 + 3, y_multi)
    assert_same_as_sklearn(pipe, X_MULTI * 10 + 3)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_huge_inputs_give_the_same_finite_probabilities(activation, loss):
    # the graph runs _network's stable formulas, not naive ones
    model = TinyNetClassifier(
        (5,), activation=activation, loss=loss, max_iter=30, random_state=0
    ).fit(X_MULTI, y_multi)
    X_huge = (X_MULTI * 1e30).astype(np.float32)
    _, proba = run_onnx(model, X_huge)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba, model.predict_proba(X_huge), atol=1e-6)
