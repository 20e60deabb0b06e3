"""Initial weights drawn from random_state, and class weights keyed by labels."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification

from sklearn_tinynet import TinyNetClassifier


def barely_trained(X, y, **params):
    """Weights after one update with a negligible step: the initial ones, to 1e-9."""
    return TinyNetClassifier(
        solver="gd",
        learning_rate_init=1e-12,
        momentum=0.0,
        alpha=0.0,
        max_iter=1,
        tol=0.0,
        **params,
    ).fit(X, y)


def glorot_bound(fan_in, fan_out, activation):
    # Glorot and Bengio: factor 2 for the sigmoid and 6 otherwise
    factor = 2.0 if activation == "logistic" else 6.0
    return np.sqrt(factor / (fan_in + fan_out))


def lecun_bound(fan_in, fan_out, activation):
    # LeCun et al.: the same for every activation, whatever fan_out
    return np.sqrt(3.0 / fan_in)


@pytest.mark.parametrize(
    "init, bound_of", [("glorot_uniform", glorot_bound), ("lecun_uniform", lecun_bound)]
)
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("n_features", [4, 400])
def test_uniform_inits_draw_within_their_bound(init, bound_of, activation, n_features):
    # U(-b, b), layers drawn in order from the estimator's RandomState
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, n_features))
    y = np.arange(50) % 3
    seed = 7
    clf = barely_trained(
        X,
        y,
        hidden_layer_sizes=(100,),
        activation=activation,
        init=init,
        random_state=seed,
    )
    expected_rng = np.random.RandomState(seed)
    for W, (fan_in, fan_out) in zip(clf.coefs_, [(n_features, 100), (100, 3)]):
        bound = bound_of(fan_in, fan_out, activation)
        assert W.shape == (fan_in, fan_out)
        assert np.abs(W).max() <= bound + 1e-9
        assert np.abs(W).max() > 0.9 * bound
        expected = expected_rng.uniform(-bound, bound, (fan_in, fan_out))
        np.testing.assert_allclose(W, expected, rtol=0, atol=1e-9)


def test_uniform_init_is_the_tutorials():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 20))
    y = np.arange(30) % 2
    clf = barely_trained(
        X, y, hidden_layer_sizes=(10, 5), init="uniform", random_state=3
    )
    expected_rng = np.random.RandomState(3)
    for W, shape in zip(clf.coefs_, [(20, 10), (10, 5), (5, 1)]):
        expected = 2 * expected_rng.random_sample(shape) - 1
        np.testing.assert_allclose(W, expected, rtol=0, atol=1e-9)


def test_init_is_drawn_before_the_early_stopping_split():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 30))
    y = np.arange(40) % 2
    clf = barely_trained(
        X,
        y,
        hidden_layer_sizes=(20,),
        activation="tanh",
        early_stopping=True,
        random_state=5,
    )
    bound = np.sqrt(3.0 / 30)  # the default, lecun_uniform
    expected = np.random.RandomState(5).uniform(-bound, bound, (30, 20))
    np.testing.assert_allclose(clf.coefs_[0], expected, rtol=0, atol=1e-9)


# --- class weights keyed by labels -----------------------------------------


def weighted_problem(labels, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(60, 4))
    codes = ((X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)) % len(labels)
    y = np.asarray(labels)[codes]
    return X, y


def assert_same_fit(a, b):
    for W, W_ref in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(W, W_ref, rtol=1e-10, atol=1e-12)


SOLVER_PARAMS = {
    "gd": dict(solver="gd", max_iter=20, tol=0.0),
    "lbfgs": dict(solver="lbfgs", max_iter=20, tol=0.0),
}


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize(
    "labels, class_weight",
    [
        ([3, 7, 9], {7: 5.0}),
        ([3, 7, 9], {9: 0.25, 3: 4.0}),
        ([-1, 1, 2], {-1: 3.0, 2: 0.5}),
        (["a", "b", "c"], {"b": 5.0}),
        (["x", "y", "z"], {"z": 0.0, "x": 2.0}),
    ],
)
def test_class_weight_dict_is_keyed_by_label(labels, class_weight, solver):
    X, y = weighted_problem(labels)
    params = dict(hidden_layer_sizes=(5,), random_state=0, **SOLVER_PARAMS[solver])
    clf = TinyNetClassifier(class_weight=class_weight, **params).fit(X, y)
    sample_weight = np.array([class_weight.get(label, 1.0) for label in y])
    reference = TinyNetClassifier(**params).fit(X, y, sample_weight=sample_weight)
    assert_same_fit(clf, reference)
    unweighted = TinyNetClassifier(**params).fit(X, y)
    assert np.abs(clf.coefs_[0] - unweighted.coefs_[0]).max() > 1e-6


@pytest.mark.parametrize("labels", [[3, 7, 9], ["b", "c", "a"], [5, 2]])
def test_class_weight_dict_multiplies_sample_weight(labels):
    X, y = weighted_problem(labels, seed=1)
    class_weight = {labels[-1]: 5.0}
    sample_weight = np.random.RandomState(2).uniform(0.5, 2.0, size=len(y))
    params = dict(hidden_layer_sizes=(4,), random_state=0, **SOLVER_PARAMS["gd"])
    clf = TinyNetClassifier(class_weight=class_weight, **params).fit(
        X, y, sample_weight=sample_weight
    )
    product = sample_weight * np.where(y == labels[-1], 5.0, 1.0)
    reference = TinyNetClassifier(**params).fit(X, y, sample_weight=product)
    assert_same_fit(clf, reference)


@pytest.mark.parametrize("labels", [[3, 7, 9], ["b", "c", "a"]])
def test_balanced_class_weight_with_labels_that_are_not_codes(labels):
    X, y = weighted_problem(labels, seed=2)
    sample_weight = np.random.RandomState(3).randint(1, 4, size=len(y)) * 1.0
    params = dict(hidden_layer_sizes=(4,), random_state=0, **SOLVER_PARAMS["gd"])
    clf = TinyNetClassifier(class_weight="balanced", **params).fit(
        X, y, sample_weight=sample_weight
    )
    # total weight / (n_classes * weight of the class), weights counted
    classes = np.unique(y)
    class_total = {c: sample_weight[y == c].sum() for c in classes}
    factor = np.array(
        [sample_weight.sum() / (len(classes) * class_total[c]) for c in y]
    )
    assert len(set(factor)) == 3  # unequal classes
    reference = TinyNetClassifier(**params).fit(
        X, y, sample_weight=sample_weight * factor
    )
    assert_same_fit(clf, reference)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.nan, "NaN, infinity or another type"),
        (np.inf, "NaN, infinity or another type"),
        ("a", "NaN, infinity or another type"),
    ],
)
def test_init_must_return_finite_weights(bad, match):
    def init(random_state, fan_in, fan_out):
        W = np.zeros((fan_in, fan_out), dtype=object if bad == "a" else float)
        W[0, 0] = bad
        return W

    X, y = np.eye(4), np.array([0, 1, 1, 0])
    clf = TinyNetClassifier((3,), init=init)
    message = "init returned weights for a layer with fan_in=4, fan_out=3 that"
    with pytest.raises(ValueError, match=f"{message} are not all finite.*{match}"):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf, "2", None])
def test_class_weight_values_must_be_finite_and_non_negative(weight):
    X, y = np.eye(4), np.array([0, 1, 1, 0])
    clf = TinyNetClassifier((3,), class_weight={0: 1.0, 1: weight})
    message = r"class_weight\[1\] is .*; class weights must be finite non-negative"
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


def test_class_weight_zero_for_some_classes_is_allowed():
    X, y = np.eye(6), np.array([0, 1, 2, 0, 1, 2])
    clf = TinyNetClassifier((3,), class_weight={2: 0}, random_state=0).fit(X, y)
    assert set(clf.predict(X)) <= {0, 1}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_weights_scale_without_overflow_or_change(dtype, solver):
    """Without penalty, a common factor in the weights changes nothing (1e37 too)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(dtype)
    y = (X[:, 0] > 0).astype(int)
    weights = rng.uniform(0.5, 2.0, size=40)
    params = dict(solver=solver, alpha=0.0, max_iter=5, tol=0.0, random_state=0)
    reference = TinyNetClassifier((3,), **params).fit(X, y, sample_weight=weights)
    largest = float(np.finfo(dtype).max) / 10
    # float32 rounds the scaled weights, a relative 6e-8
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9)
    for scale in (2.0**-60, 2.0**60, largest):
        clf = TinyNetClassifier((3,), **params)
        clf.fit(X, y, sample_weight=(weights * scale).astype(dtype))
        for W, W_ref in zip(clf.coefs_, reference.coefs_):
            np.testing.assert_allclose(W, W_ref, **tolerance)
        assert clf.loss_curve_[-1] < clf.loss_curve_[0]  # trained
    # class weights and sample weights multiply, without overflow
    clf = TinyNetClassifier((3,), class_weight={0: 1e300, 1: 1e300}, **params)
    clf.fit(X, y, sample_weight=(weights * largest).astype(dtype))
    for W, W_ref in zip(clf.coefs_, reference.coefs_):
        np.testing.assert_allclose(W, W_ref, **tolerance)


def test_alpha_is_divided_by_the_summed_weight_at_any_scale():
    """As in MLPClassifier: the penalty is alpha / (2 * sum of weights) ||W||**2.

    The weights are scaled by powers of two, exactly: unit weights and alpha
    give bit for bit the model of weights s and alpha * s.
    """
    X, y = np.eye(6), np.array([0, 1, 2, 0, 1, 2])
    params = dict(solver="gd", max_iter=3, tol=0.0, random_state=0)
    unit = TinyNetClassifier((3,), alpha=1.0, **params).fit(X, y)
    for scale in (2.0, 2.0**40, 2.0**-40, 2.0**1000):
        clf = TinyNetClassifier((3,), alpha=scale, **params)
        clf.fit(X, y, sample_weight=np.full(6, scale))
        for W, W_unit in zip(clf.coefs_, unit.coefs_):
            np.testing.assert_array_equal(W, W_unit)


def test_alpha_over_weights_that_sum_below_the_float_range_is_refused():
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    tiny = np.full(len(y), 1e-200)
    clf = TinyNetClassifier((3,), alpha=0.5, class_weight={0: 1e-200, 1: 1e-200})
    with pytest.raises(ValueError, match=r"alpha=0.5 divided by the sum.*alpha=0"):
        clf.fit(X, y, sample_weight=tiny)
    assert not hasattr(clf, "coefs_")
    unit = TinyNetClassifier((3,), alpha=0.0, random_state=0).fit(X, y)
    scaled = clone(unit).set_params(class_weight={0: 1e-200, 1: 1e-200})
    scaled.fit(X, y, sample_weight=tiny)
    np.testing.assert_allclose(scaled.coefs_[0], unit.coefs_[0], rtol=1e-9)
