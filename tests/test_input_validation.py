"""Bad input: a ValueError (or TypeError) that says what is wrong and how to fix it."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from sklearn_tinynet import TinyNetClassifier

X, y = make_blobs(n_samples=40, n_features=4, centers=3, random_state=0)


def fitted(**params):
    return TinyNetClassifier((5,), random_state=0, **params).fit(X, y)


def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


@pytest.mark.parametrize(
    "X_bad, y_bad, match",
    [
        (with_value(X, (3, 1), np.nan), y, "Input X contains NaN"),
        (with_value(X, (3, 1), np.inf), y, "Input X contains infinity"),
        (X, with_value(y, 5, np.nan), "Input y contains NaN"),
        (X[:, 0], y, "Expected 2D array, got 1D array instead"),
        (X[:, :, None], y, "Found array with dim 3"),
        (X[:-1], y, "inconsistent numbers of samples"),
        (np.full((40, 4), "a"), y, "could not convert string to float"),
        (X, y + 0.5, "Unknown label type: continuous"),
        (X, np.zeros(40), "only one class"),
        (X[:0], y[:0], "0 sample"),
    ],
)
def test_bad_training_data(X_bad, y_bad, match):
    with pytest.raises(ValueError, match=match):
        TinyNetClassifier().fit(X_bad, y_bad)


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (-np.ones(40), "Negative values in data passed to `sample_weight`"),
        # scikit-learn >= 1.7 checks this itself, older versions leave it to us
        (np.zeros(40), "at least one non-zero number|sample_weight sums to zero"),
        (np.ones(39), "sample_weight.shape == \\(39,\\), expected \\(40,\\)"),
        (with_value(np.ones(40), 0, np.nan), "Input sample_weight contains NaN"),
    ],
)
def test_bad_sample_weight(sample_weight, match):
    with pytest.raises(ValueError, match=match):
        TinyNetClassifier().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"hidden_layer_sizes": (0,)},
            "hidden_layer_sizes must be a tuple of positive",
        ),
        ({"hidden_layer_sizes": (4, -1)}, "hidden_layer_sizes must be a tuple"),
        ({"hidden_layer_sizes": (2.5,)}, "hidden_layer_sizes must be a tuple"),
        ({"hidden_layer_sizes": "big"}, "'hidden_layer_sizes' parameter"),
        ({"learning_rate_init": 0.0}, "'learning_rate_init' parameter .* range \\(0"),
        ({"learning_rate_init": -1.0}, "'learning_rate_init' parameter"),
        ({"alpha": -0.1}, "'alpha' parameter"),
        ({"momentum": 1.5}, "'momentum' parameter"),
        ({"max_iter": 0}, "'max_iter' parameter"),
        ({"activation": "softplus"}, "'activation' parameter .* among .*'logistic'"),
        ({"solver": "adam"}, "'solver' parameter .* among .*'gd'"),
        ({"loss": "hinge"}, "'loss' parameter"),
        ({"init": "zeros"}, "'init' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"class_weight": "auto"}, "'class_weight' parameter"),
        ({"class_weight": {7: 1.0}}, "class_weight names classes \\[7\\]"),
        ({"max_iter": "10"}, "'max_iter' parameter"),
        ({"early_stopping": "yes"}, "'early_stopping' parameter"),
    ],
)
def test_invalid_parameters(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TinyNetClassifier(**params).fit(X, y)


def test_multilabel_class_weight_dict_is_rejected():
    Y = (X[:, :2] > 0).astype(int)
    with pytest.raises(ValueError, match="must be 'balanced' or None"):
        TinyNetClassifier(class_weight={0: 2.0}).fit(X, Y)


def test_predict_with_other_width_or_feature_names():
    clf = fitted()
    with pytest.raises(
        ValueError,
        match="X has 3 features, but TinyNetClassifier is expecting 4 features",
    ):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.predict_proba(with_value(X, (0, 0), np.nan))
    pd = pytest.importorskip("pandas")
    named = TinyNetClassifier((5,), random_state=0).fit(
        pd.DataFrame(X, columns=list("abcd")), y
    )
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        named.predict(pd.DataFrame(X, columns=list("abce")))


def test_unfitted_model_says_fit_first():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="Call 'fit' with appropriate arguments"):
        TinyNetClassifier().predict(X)


def test_partial_fit_errors():
    clf = TinyNetClassifier(solver="gd", learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="labels \\[5\\] that are not in classes_"):
        clf.partial_fit(X, np.where(y == 0, 5, y))
    with pytest.raises(ValueError, match="X has 2 features"):
        clf.partial_fit(X[:, :2], y)
    with pytest.raises(ValueError, match="y is multilabel-indicator but the model"):
        clf.partial_fit(X, np.c_[y == 0, y == 1].astype(int))


def test_warm_start_refit_on_other_width_or_classes_keeps_model():
    clf = fitted(warm_start=True)
    proba = clf.predict_proba(X)
    with pytest.raises(ValueError, match="X has 3 features"):
        clf.fit(X[:, :3], y)
    message = r"Previously got \[0 1 2\], `y` has \[0 1 7\]"
    with pytest.raises(ValueError, match=message):
        clf.fit(X, np.where(y == 2, 7, y))
    # as in MLPClassifier, a y with only some of the classes is refused too
    with pytest.raises(ValueError, match="warm_start can only be used where `y`"):
        clf.fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="keep hidden_layer_sizes unchanged"):
        clf.set_params(hidden_layer_sizes=(6,)).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_multiclass_multioutput_y_is_refused_by_fit_and_partial_fit():
    Y = np.c_[y, (y + 1) % 3]  # two multiclass outputs
    message = "Unknown label type: multiclass-multioutput. y must hold class labels"
    with pytest.raises(ValueError, match=message):
        TinyNetClassifier((3,)).fit(X, Y)
    clf = TinyNetClassifier((3,), solver="gd")
    with pytest.raises(ValueError, match=message):
        clf.partial_fit(X, Y, classes=[0, 1, 2])
    assert not hasattr(clf, "coefs_")
    clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=message):
        clf.partial_fit(X, Y)


# --- multilabel targets ---------------------------------------------------------

Y_MULTI = np.eye(3, dtype=int)[y]


@pytest.mark.parametrize("low, high", [(-1, 1), (0, 2), (5, 7)])
def test_multilabel_y_must_be_a_0_1_indicator_matrix(low, high):
    Y = np.where(Y_MULTI == 1, high, low)
    with pytest.raises(ValueError, match=r"must be a 0/1 indicator matrix.*\(y == 1\)"):
        TinyNetClassifier((4,)).fit(X, Y)
    with pytest.raises(ValueError, match="0/1 indicator matrix"):
        TinyNetClassifier((4,), solver="gd").partial_fit(X, Y)


def test_partial_fit_multilabel_classes_are_the_column_indices():
    clf = TinyNetClassifier((4,), solver="gd", random_state=0)
    with pytest.raises(
        ValueError, match=r"classes_ are its column indices \[0, 1, 2\]"
    ):
        clf.partial_fit(X, Y_MULTI, classes=["a", "b"])
    assert not hasattr(clf, "coefs_")
    clf.partial_fit(X, Y_MULTI, classes=[0, 1, 2]).partial_fit(X, Y_MULTI)
    coefs = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError, match="column indices"):
        clf.partial_fit(X, Y_MULTI, classes=[5, 6, 7])
    for W, W_before in zip(clf.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)


# --- predictions of inputs that overflow the network ------------------------------


@pytest.mark.parametrize("activation", ["relu", "identity"])
@pytest.mark.parametrize("target", ["multiclass", "multilabel"])
def test_inputs_that_overflow_the_network_raise_instead_of_nan(activation, target):
    clf = TinyNetClassifier((8,), activation=activation, max_iter=5, tol=0.0)
    clf.fit(X, Y_MULTI if target == "multilabel" else y)
    # rows whose hidden units overflow to inf, and then the logits to inf - inf
    clf.coefs_[0] = np.abs(clf.coefs_[0]) + 1.0
    huge = np.full((3, X.shape[1]), 1e308)
    huge[0] = X[0]
    huge[1] *= -1 if activation == "identity" else 1
    for method in [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ]:
        with pytest.raises(ValueError, match=r"outputs of 2 row\(s\) overflow.*row 1"):
            getattr(clf, method)(huge)
    assert np.isfinite(clf.predict_proba(huge[:1])).all()
