"""ONNX export through skl2onnx, checked against onnxruntime."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier, TinyNetRegressor

pytest.importorskip("skl2onnx", reason="ONNX export needs the [onnx] extra")
rt = pytest.importorskip("onnxruntime", reason="ONNX export needs the [onnx] extra")
import skl2onnx  # noqa: E402

import sklearn_tinynet.onnx  # noqa: E402, F401  (registers the converters)

# Convergence says nothing about the fidelity of the export.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
X_BIN, y_bin = make_classification(n_samples=200, n_features=6, random_state=0)
X_MULTI, y_multi = make_blobs(n_samples=200, n_features=6, centers=4, random_state=0)
Y_MULTILABEL = np.c_[X_BIN[:, 0] > 0, X_BIN[:, 1] + X_BIN[:, 2] > 0].astype(int)
X_REG, Y_REG = make_regression(
    n_samples=100, n_features=5, n_targets=3, noise=1, random_state=0
)
# counts with log-mean X[:, 0] and X[:, 1] / 2, for loss='poisson'
Y_COUNTS = np.random.RandomState(0).poisson(np.exp(X_REG[:, :2] / [1, 2]))

# the labels of class codes 0, 1, 2, 3, in every dtype fit accepts (fit
# rejects non-integer floats such as 0.5 as continuous targets)
LABEL_VALUES = {
    "int64": np.array([0, 1, 2, 3]),
    "int32": np.array([0, 1, 2, 3], dtype=np.int32),
    "negative": np.array([-3, -1, 0, 2]),
    "non-contiguous": np.array([3, 7, 11, 15]),
    "uint8": np.array([0, 1, 2, 3], dtype=np.uint8),
    "float-integers": np.array([0.0, 1.0, 2.0, 3.0]),
    "float32": np.array([-1.0, 0.0, 1.0, 2.0], dtype=np.float32),
    "float16": np.array([0, 1, 2, 3], dtype=np.float16),
    "str": np.array(["ant", "bee", "cat", "dog"]),
    "object-str": np.array(["ant", "bee", "cat", "dog"], dtype=object),
    "bool": np.array([False, True]),
}
LABEL_CASES = [
    pytest.param(name, X, y, id=f"{name}-{task}")
    for name, values in LABEL_VALUES.items()
    for task, X, y in [("binary", X_BIN, y_bin), ("multiclass", X_MULTI, y_multi)]
    if y.max() < len(values)
]


def run_onnx(model, X, **options):
    onx = skl2onnx.to_onnx(
        model,
        X[:1],
        options={"zipmap": False, **options},
        target_opset=17,
    )
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_same_as_sklearn(model, X, dtype=np.float32):
    X = X.astype(dtype)
    labels, proba = run_onnx(model, X)
    tolerance = {"atol": 1e-5} if dtype == np.float32 else {"atol": 1e-12}
    np.testing.assert_allclose(proba, model.predict_proba(X), **tolerance)
    expected = model.predict(X)
    assert np.array_equal(labels, expected)
    # onnxruntime returns ONNX strings as a numpy object array of str
    assert labels.dtype == (object if expected.dtype.kind == "U" else expected.dtype)


@pytest.mark.parametrize("name, X, y", LABEL_CASES)
def test_labels_of_every_type_equal_predict(name, X, y):
    labels = LABEL_VALUES[name][y]
    model = TinyNetClassifier((5,), max_iter=50, random_state=0).fit(X, labels)
    assert_same_as_sklearn(model, X)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize(
    "X, y, loss",
    [
        (X_BIN, y_bin, "log_loss"),
        (X_BIN, y_bin, "squared_error"),
        (X_MULTI, y_multi, "log_loss"),
        (X_MULTI, y_multi, "squared_error"),
        (X_BIN, Y_MULTILABEL, "log_loss"),
        (X_BIN, Y_MULTILABEL, "squared_error"),
    ],
    ids=[
        "binary",
        "binary-squared",
        "multiclass",
        "multiclass-squared",
        "multilabel",
        "multilabel-squared",
    ],
)
def test_probabilities_match_predict_proba(activation, X, y, loss):
    model = TinyNetClassifier(
        (7, 5), activation=activation, loss=loss, random_state=0
    ).fit(X.astype(np.float32), y)
    assert_same_as_sklearn(model, X)


@pytest.mark.parametrize(
    "X, y", [(X_BIN, y_bin), (X_MULTI, y_multi)], ids=["binary", "multiclass"]
)
def test_float64_inputs(X, y):
    model = TinyNetClassifier((7,), activation="tanh", random_state=0).fit(X, y)
    assert_same_as_sklearn(model, X, dtype=np.float64)


@pytest.mark.parametrize("zipmap", [False, True])
def test_multilabel_labels_are_the_int64_indicator_matrix(zipmap):
    model = TinyNetClassifier((5,), random_state=0).fit(X_BIN, Y_MULTILABEL)
    X = X_BIN.astype(np.float32)
    labels, _ = run_onnx(model, X, zipmap=zipmap)
    assert labels.shape == Y_MULTILABEL.shape and labels.dtype == np.int64
    assert np.array_equal(labels, model.predict(X))
    assert 0 < labels.mean() < 1


@pytest.mark.parametrize("zipmap", [True, "columns"])
@pytest.mark.parametrize("name, X, y", LABEL_CASES)
def test_zipmap_gives_int64_or_str_labels(name, X, y, zipmap):
    # skl2onnx's ZipMap keys and labels are int64 or str, whatever the labels
    model = TinyNetClassifier((5,), max_iter=50, random_state=0).fit(
        X, LABEL_VALUES[name][y]
    )
    X = X.astype(np.float32)
    labels, *proba_outputs = run_onnx(model, X, zipmap=zipmap)
    expected = model.predict(X)
    assert np.array_equal(labels, expected)
    assert labels.dtype == (object if expected.dtype.kind == "U" else np.int64)
    if zipmap == "columns":  # one output per class
        proba = np.column_stack(proba_outputs)
    else:  # one {label: probability} per row
        keys = model.classes_.astype(labels.dtype).tolist()
        proba = np.array([[row[key] for key in keys] for row in proba_outputs[0]])
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)


def test_nocl_gives_class_indices():
    model = TinyNetClassifier((5,), random_state=0).fit(
        X_MULTI, LABEL_VALUES["str"][y_multi]
    )
    X = X_MULTI.astype(np.float32)
    labels, _ = run_onnx(model, X, nocl=True)
    assert labels.dtype == np.int64
    assert np.array_equal(model.classes_[labels], model.predict(X))


@pytest.mark.parametrize("zipmap", [False, True])
def test_unfitted_model_raises_not_fitted_error(zipmap):
    X = X_BIN[:1].astype(np.float32)
    with pytest.raises(NotFittedError, match="TinyNetClassifier"):
        skl2onnx.to_onnx(TinyNetClassifier(), X, options={"zipmap": zipmap})
    pipe = make_pipeline(StandardScaler().fit(X_BIN), TinyNetClassifier())
    with pytest.raises(NotFittedError, match="TinyNetClassifier"):
        skl2onnx.to_onnx(pipe, X)


@pytest.mark.parametrize("zipmap", [False, True])
def test_labels_without_an_onnx_type_raise_value_error(zipmap):
    labels = np.array(["2026-01-01", "2026-06-01"], dtype="datetime64[D]")[y_bin]
    model = TinyNetClassifier((5,), max_iter=5, random_state=0).fit(X_BIN, labels)
    with pytest.raises(ValueError, match="classes_ has dtype datetime64"):
        skl2onnx.to_onnx(
            model, X_BIN[:1].astype(np.float32), options={"zipmap": zipmap}
        )


def test_string_labels_and_no_intercepts():
    labels = LABEL_VALUES["str"][y_multi]
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


# --- TinyNetRegressor ---------------------------------------------------------

REGRESSION_TARGETS = {
    "single": ("squared_error", Y_REG[:, 0]),
    "multi": ("squared_error", Y_REG),
    "poisson": ("poisson", Y_COUNTS[:, 0]),
    "poisson-multi": ("poisson", Y_COUNTS),
}


def fit_regressor(target, **params):
    loss, y = REGRESSION_TARGETS[target]
    params = {"max_iter": 50, "random_state": 0, **params}
    return TinyNetRegressor(loss=loss, **params).fit(X_REG, y)


def run_regressor_onnx(model, X):
    """The declared output, and onnxruntime's predictions of X."""
    onx = skl2onnx.to_onnx(model, X[:1], target_opset=17)
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (y_onnx,) = session.run(None, {session.get_inputs()[0].name: X})
    return session.get_outputs()[0], y_onnx


def assert_same_predictions(model, X, dtype=np.float32):
    X = X.astype(dtype)
    declared, y_onnx = run_regressor_onnx(model, X)
    expected = model.predict(X)
    n_outputs = 1 if expected.ndim == 1 else expected.shape[1]
    # one output is (N, 1), as skl2onnx's regressors give; predict ravels it
    onnx_type = "tensor(float)" if dtype == np.float32 else "tensor(double)"
    assert declared.shape == [None, n_outputs] and declared.type == onnx_type
    assert y_onnx.shape == (len(X), n_outputs) and y_onnx.dtype == dtype
    # float32 rounding is relative to the largest values in the graph
    relative = 1e-5 if dtype == np.float32 else 1e-12
    atol = relative * np.abs(expected).max()
    np.testing.assert_allclose(y_onnx.reshape(expected.shape), expected, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", list(REGRESSION_TARGETS))
def test_regressor_predictions_match_predict(target, dtype):
    model = fit_regressor(target, hidden_layer_sizes=(7,))
    assert_same_predictions(model, X_REG, dtype)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("target", ["multi", "poisson"])
def test_regressor_hidden_activations(activation, target):
    model = fit_regressor(target, hidden_layer_sizes=(7, 5), activation=activation)
    assert_same_predictions(model, X_REG)


@pytest.mark.parametrize("target", ["single", "poisson-multi"])
def test_regressor_no_hidden_layer(target):
    assert_same_predictions(fit_regressor(target, hidden_layer_sizes=()), X_REG)


@pytest.mark.parametrize("target", ["multi", "poisson"])
def test_regressor_no_intercepts(target):
    model = fit_regressor(target, hidden_layer_sizes=(7,), fit_intercept=False)
    assert_same_predictions(model, X_REG)


def test_regressor_inside_a_pipeline():
    pipe = make_pipeline(
        StandardScaler(), TinyNetRegressor((8,), max_iter=50, random_state=0)
    )
    pipe.fit(X_REG * 10 + 3, Y_REG)
    assert_same_predictions(pipe, X_REG * 10 + 3)


def test_unfitted_regressor_raises_not_fitted_error():
    X = X_REG[:1].astype(np.float32)
    with pytest.raises(NotFittedError, match="TinyNetRegressor"):
        skl2onnx.to_onnx(TinyNetRegressor(), X)
    pipe = make_pipeline(StandardScaler().fit(X_REG), TinyNetRegressor())
    with pytest.raises(NotFittedError, match="TinyNetRegressor"):
        skl2onnx.to_onnx(pipe, X)


# --- ties and float32's range, as docs/persistence.rst states them ------------


def tied_model(loss="log_loss"):
    """A 4-class model whose classes 0 and 2 have equal logits on every row."""
    model = TinyNetClassifier((5,), loss=loss, max_iter=30, random_state=0)
    model.fit(X_MULTI, y_multi)
    model.coefs_[-1][:, 2] = model.coefs_[-1][:, 0]
    model.intercepts_[-1][2] = model.intercepts_[-1][0]
    return model


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_exact_ties_give_the_first_class_as_predict(loss, dtype):
    model = tied_model(loss)
    X = X_MULTI.astype(dtype)
    labels, proba = run_onnx(model, X)
    tied = model.predict_proba(X)
    assert (tied[:, 0] == tied[:, 2]).all() and (proba[:, 0] == proba[:, 2]).all()
    assert (model.predict(X) != 2).all()  # numpy's argmax: the first of ties
    assert np.array_equal(labels, model.predict(X))
    # binary: a logit of exactly 0 is classes_[0], as predict's z > 0
    binary = TinyNetClassifier((3,), max_iter=5, random_state=0).fit(X_BIN, y_bin)
    binary.coefs_[-1][:] = 0.0
    binary.intercepts_[-1][:] = 0.0
    labels, proba = run_onnx(binary, X_BIN.astype(dtype))
    assert (proba == 0.5).all() and (labels == binary.classes_[0]).all()
    assert np.array_equal(labels, binary.predict(X_BIN.astype(dtype)))


def test_a_float32_graph_ties_logits_that_differ_below_float32s_precision():
    # predict computes with the fitted float64 weights; the float32 graph
    # rounds them to float32, where the two intercepts are equal
    model = tied_model()
    model.intercepts_[-1][2] += 1e-12
    assert (model.predict(X_MULTI) != 0).all()
    labels32, _ = run_onnx(model, X_MULTI.astype(np.float32))
    assert (labels32 != 2).all()
    assert not np.array_equal(labels32, model.predict(X_MULTI.astype(np.float32)))
    labels64, _ = run_onnx(model, X_MULTI)
    assert np.array_equal(labels64, model.predict(X_MULTI))


def test_a_float32_graph_overflows_where_predict_of_float64_weights_does_not():
    model = TinyNetClassifier((5,), activation="relu", max_iter=30, random_state=0)
    model.fit(X_MULTI, y_multi)
    X = X_MULTI[:3].astype(np.float32)
    X[0] = 3e38  # finite in float32; its hidden layer is not
    labels32, proba32 = run_onnx(model, X)
    assert not np.isfinite(proba32[0]).all() and np.isfinite(proba32[1:]).all()
    np.testing.assert_allclose(proba32[1:], model.predict_proba(X)[1:], atol=1e-5)
    # predict of the same float32 rows computes in the weights' float64
    assert np.isfinite(model.predict_proba(X)).all()
    labels64, proba64 = run_onnx(model, X.astype(np.float64))
    np.testing.assert_allclose(proba64, model.predict_proba(X), atol=1e-12)
    assert np.array_equal(labels64, model.predict(X))
    # a model fitted on float32 computes in float32 and refuses the row
    model32 = TinyNetClassifier((5,), activation="relu", max_iter=30, random_state=0)
    model32.fit(X_MULTI.astype(np.float32), y_multi)
    with pytest.raises(ValueError, match=r"overflow \(the first is row 0\)"):
        model32.predict(X)
