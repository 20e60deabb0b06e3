"""scikit-learn's MLPClassifier tests (neural_network/tests/test_mlp.py), ported.

Each test keeps the name of the scikit-learn test it ports and checks the same
behaviour of TinyNetClassifier: 'sgd' becomes the full-batch 'gd', MLP's
default ``alpha=1e-4`` is passed where MLP relied on it, loops over
activations, datasets and classes are parametrized, and MLP's private
attributes are replaced by the public loss curves.

Not ported (one line each):
- test_lbfgs_regression: MLPRegressor only.
- test_lbfgs_classification_maxfun: no max_fun parameter; scipy's maxfun is fixed.
- test_lbfgs_regression_maxfun: MLPRegressor only, and no max_fun.
- test_multioutput_regression: MLPRegressor only.
- test_partial_fit_regression: MLPRegressor only.
- test_shuffle: no shuffle or batch_size; every update uses all rows.
- test_adaptive_learning_rate: no learning_rate schedule.
- test_early_stopping_stratified: the split is a seeded row hash, not stratified.
- test_mlp_regressor_dtypes_casting: MLPRegressor only.
- test_minimum_input_sample_size: MLPRegressor only (classifier's: test_training).
- The MLPRegressor cases of parametrized tests, and the 'adam' case.

Adapted: test_learning_rate_warmstart (constant step only: warm fits continue
one gd run); test_n_iter_no_change_inf (n_iter_no_change is an integer:
test_n_iter_no_change_never_reached); test_mlp_vs_poisson_glm_equivalent (no
hidden layer against LogisticRegression). Added for behaviour MLP checks
elsewhere: multiclass-multioutput y, the last gd update, loss-curve lengths,
warm start with another loss.
"""

import re
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import (
    assert_allclose,
    assert_almost_equal,
    assert_array_equal,
)
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.fixes import CSR_CONTAINERS

from sklearn_tinynet import TinyNetClassifier
from sklearn_tinynet._compat import get_namespace
from sklearn_tinynet._engine import LocalEngine, ParameterLayout
from sklearn_tinynet._network import Network

ACTIVATION_TYPES = ["identity", "logistic", "tanh", "relu"]

X_digits, y_digits = load_digits(n_class=3, return_X_y=True)
X_digits_multi = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_multi = y_digits[:200]

X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]

classification_datasets = {
    "multiclass": (X_digits_multi, y_digits_multi),
    "binary": (X_digits_binary, y_digits_binary),
}

X_iris, y_iris = load_iris(return_X_y=True)

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


# --- penalty and gradient ------------------------------------------------------


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@ignore_convergence
def test_alpha(solver):
    # larger alpha gives weights closer to zero, in every layer
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    # gd: a fixed number of updates, so that only the gradient depends on alpha
    stopping = dict(tol=0.0, max_iter=100) if solver == "gd" else {}
    norms = []
    for alpha in [0.0, 1.0, 10.0]:
        clf = TinyNetClassifier(
            10, solver=solver, alpha=alpha, random_state=1, **stopping
        )
        clf.fit(X, y)
        norms.append([np.abs(W).sum() for W in clf.coefs_])
    norms = np.array(norms)  # (n_alphas, n_layers)
    assert (norms[:-1] > norms[1:]).all()


def test_fit():
    # One gd update on one row from given weights, worked out by hand in
    # scikit-learn's test: logistic hidden layer, one sigmoid output,
    # dL/dW = l_i.T @ delta + alpha * W (one row, so no mean).
    X = np.array([[0.6, 0.8, 0.7]])
    y = np.array([0])
    clf = TinyNetClassifier(
        2,
        activation="logistic",
        solver="gd",
        learning_rate_init=0.1,
        alpha=0.1,
        momentum=0.0,
        random_state=1,
    )
    clf.partial_fit(X, y, classes=[0, 1])  # the fitted attributes
    clf.coefs_ = [
        np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]),
        np.array([[0.1], [0.2]]),
    ]
    clf.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    clf.partial_fit(X, y)
    assert_almost_equal(
        clf.coefs_[0],
        np.array([[0.098, 0.195756], [0.2956664, 0.096008], [0.4939998, -0.002244]]),
        decimal=3,
    )
    assert_almost_equal(clf.coefs_[1], np.array([[0.04706], [0.154089]]), decimal=3)
    assert_almost_equal(clf.intercepts_[0], np.array([0.098333, 0.09626]), decimal=3)
    assert_almost_equal(clf.intercepts_[1], np.array([0.9235]), decimal=3)
    # o1 = 0.677 * 0.04706 + 0.572 * 0.154089 + 0.9235 = 1.043; sigmoid -> 0.739
    assert_almost_equal(clf.predict_proba(X)[0, 1], 0.739, decimal=3)


def _flat(clf):
    """The fitted weights as one vector, in ParameterLayout's order."""
    parts = []
    for W, b in zip(clf.coefs_, clf.intercepts_):
        parts += [W.ravel(), b]
    return np.concatenate(parts)


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
@pytest.mark.parametrize("n_labels", [2, 3])
@ignore_convergence
def test_gradient(n_labels, activation, loss):
    # the engine's analytical gradient equals central finite differences
    rng = np.random.RandomState(42)
    n_samples, n_features, alpha = 5, 10, 1e-5
    X = rng.rand(n_samples, n_features)
    y = 1 + np.mod(np.arange(n_samples) + 1, n_labels)
    clf = TinyNetClassifier(
        10, activation=activation, loss=loss, alpha=alpha, max_iter=1, random_state=1
    ).fit(X, y)
    codes = np.searchsorted(clf.classes_, y)  # (n_samples,)
    layout = ParameterLayout([n_features, 10, clf.n_outputs_], fit_intercept=True)
    net = Network(activation, clf.out_activation_, loss)
    weights = np.full(n_samples, 1 / n_samples)  # the loss is a mean
    theta = _flat(clf)
    # numpy's in-place speed-ups, and the plain math other namespaces run
    for inplace in [True, False]:
        engine = LocalEngine(
            net,
            layout,
            X,
            codes,
            weights,
            alpha=alpha / n_samples,
            xp=get_namespace(X)[0],  # as the classifier does; numpy < 2 is wrapped
            inplace=inplace,
        )
        with engine:
            value, grad = engine.loss_and_gradient(theta)
            grad = grad.copy()  # the engine's buffer
            epsilon = 1e-5
            numgrad = np.array(
                [
                    engine.loss_and_gradient(theta + epsilon * e)[0]
                    - engine.loss_and_gradient(theta - epsilon * e)[0]
                    for e in np.eye(theta.size)
                ]
            ) / (2 * epsilon)
        assert_almost_equal(numgrad, grad)
    if loss == "log_loss":
        # the engine's loss is the documented objective of the fitted model
        proba = clf.predict_proba(X)
        penalty = 0.5 * alpha * sum((W**2).sum() for W in clf.coefs_) / n_samples
        expected = -np.log(proba[np.arange(n_samples), codes]).mean() + penalty
        assert value == pytest.approx(expected, rel=1e-10)


# --- solvers on the digits -----------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
@pytest.mark.parametrize("dataset", classification_datasets)
def test_lbfgs_classification(dataset, activation):
    # lbfgs scores above 0.95 on the training rows, binary and multiclass
    X, y = classification_datasets[dataset]
    X_train, y_train, X_test = X[:150], y[:150], X[150:]
    clf = TinyNetClassifier(
        50,
        activation=activation,
        solver="lbfgs",
        alpha=1e-4,
        max_iter=150,
        random_state=1,
    )
    clf.fit(X_train, y_train)
    y_predict = clf.predict(X_test)
    assert clf.score(X_train, y_train) > 0.95
    assert y_predict.shape == (X_test.shape[0],)
    assert y_predict.dtype.kind == y_train.dtype.kind


def test_learning_rate_warmstart():
    # warm_start reuses the past solution: with a constant step and no
    # momentum, two warm fits of 3 updates are one fit of 6
    X = [[3, 2], [1, 6], [5, 6], [-2, -4]]
    y = [1, 1, 1, 0]
    params = dict(solver="gd", momentum=0.0, tol=0.0, random_state=0)
    once = TinyNetClassifier(4, max_iter=6, **params).fit(X, y)
    twice = TinyNetClassifier(4, max_iter=3, warm_start=True, **params)
    twice.fit(X, y)
    first = [W.copy() for W in twice.coefs_]
    twice.fit(X, y)
    assert not all(np.array_equal(a, b) for a, b in zip(first, twice.coefs_))
    for W_once, W_twice in zip(
        once.coefs_ + once.intercepts_, twice.coefs_ + twice.intercepts_
    ):
        assert_allclose(W_twice, W_once, rtol=1e-12)


# --- multilabel targets --------------------------------------------------------


X_multilabel, y_multilabel = make_multilabel_classification(
    n_samples=50, random_state=0, return_indicator=True
)


def test_multilabel_classification():
    clf = TinyNetClassifier(
        50, solver="lbfgs", alpha=1e-5, max_iter=150, random_state=0
    )
    clf.fit(X_multilabel, y_multilabel)
    assert clf.score(X_multilabel, y_multilabel) > 0.97


def test_multilabel_classification_partial_fit():
    # MLP's 'sgd' with batch_size=min(200, 50) is full-batch gd here
    clf = TinyNetClassifier(
        50, solver="gd", alpha=1e-5, learning_rate_init=0.2, random_state=0
    )
    for _ in range(100):
        clf.partial_fit(X_multilabel, y_multilabel, classes=[0, 1, 2, 3, 4])
    assert clf.score(X_multilabel, y_multilabel) > 0.9


@ignore_convergence
def test_multilabel_classification_early_stopping():
    clf = TinyNetClassifier(early_stopping=True, random_state=0)
    predicted = clf.fit(X_multilabel, y_multilabel).predict(X_multilabel)
    assert predicted.shape == y_multilabel.shape
    assert clf.validation_loss_curve_ is not None


# --- partial_fit ---------------------------------------------------------------


def test_partial_fit_classes_error():
    # other classes on a later call than on the first must raise
    X = [[3, 2]]
    y = [0]
    clf = TinyNetClassifier(solver="gd", learning_rate_init=0.01, random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    coefs = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y, classes=[1, 2])
    for W, W_before in zip(clf.coefs_, coefs):
        assert_array_equal(W, W_before)
    clf.partial_fit(X, y, classes=[1, 0])  # the same classes, in another order


@pytest.mark.parametrize("dataset", classification_datasets)
def test_partial_fit_classification(dataset):
    # 100 calls to partial_fit are 100 updates of fit, momentum included:
    # a call whose update raises the loss keeps it, as fit would
    X, y = classification_datasets[dataset]
    params = dict(solver="gd", random_state=1, alpha=1e-5, learning_rate_init=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = TinyNetClassifier(max_iter=100, tol=0, **params).fit(X, y)
    assert fitted.n_iter_ == 100
    partial = TinyNetClassifier(**params)
    for _ in range(100):
        partial.partial_fit(X, y, classes=np.unique(y))
    for W, W_partial in zip(fitted.coefs_, partial.coefs_):
        assert_allclose(W_partial, W, rtol=1e-10, atol=1e-12)
    assert_array_equal(partial.predict(X), fitted.predict(X))
    assert partial.score(X, y) > 0.95


def test_partial_fit_unseen_classes():
    # a class announced in `classes` may first appear in a later call
    # unscaled rows: a step of 0.5 on the lone "d" row raises the loss
    clf = TinyNetClassifier(solver="gd", learning_rate_init=0.1, random_state=0)
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4]], ["d"])
    assert_array_equal(clf.classes_, ["a", "b", "c", "d"])
    assert clf.predict_proba([[4]]).shape == (1, 4)
    assert clf.score([[1], [2], [3], [4]], ["a", "b", "c", "d"]) > 0


def test_partial_fit_errors():
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    # classes that do not hold the labels of y
    with pytest.raises(ValueError):
        TinyNetClassifier(solver="gd").partial_fit(X, y, classes=[2])
    # lbfgs has no partial_fit
    assert not hasattr(TinyNetClassifier(solver="lbfgs"), "partial_fit")


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_multiclass_multioutput_y_is_rejected(method):
    # MLPClassifier's LabelBinarizer rejects multiclass-multioutput targets;
    # three columns of three classes must not pass for a multilabel matrix
    X = [[3, 2], [1, 6], [5, 1]]
    y = [[0, 1, 2], [2, 0, 1], [1, 2, 0]]
    clf = TinyNetClassifier(solver="gd")
    kwargs = {"classes": [0, 1, 2]} if method == "partial_fit" else {}
    with pytest.raises(ValueError):
        getattr(clf, method)(X, y, **kwargs)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_nonfinite_params(solver):
    # data that overflows: a ValueError, or a model with finite weights and
    # probabilities (MLP raises when its weights become non-finite)
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = np.r_[np.zeros(5, int), np.ones(5, int)]
    clf = TinyNetClassifier(solver=solver, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            clf.fit(X, y)
        except ValueError:
            assert not hasattr(clf, "coefs_")
            return
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
    with np.errstate(over="ignore"):
        assert np.isfinite(clf.predict_proba(X)).all()


def test_last_gd_update_is_checked():
    # one step far too long: the loss of the weights it gives is not finite,
    # so they must not become the model
    X, y = 1000 * X_digits_binary[:50], y_digits_binary[:50]
    clf = TinyNetClassifier(
        5,
        activation="identity",
        solver="gd",
        learning_rate_init=1e300,
        max_iter=1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            clf.fit(X, y)
        except ValueError:
            assert not hasattr(clf, "coefs_")
            return
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isfinite(clf.predict_proba(X)).all()


# --- probabilities -------------------------------------------------------------


def _check_log_proba(clf, X, n_classes):
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    assert proba.shape == (X.shape[0], n_classes)
    assert_array_equal(proba.argmax(axis=1), log_proba.argmax(axis=1))
    # atol: log(p) of p near 1 is off by the rounding of p, about 1e-16
    assert_allclose(log_proba, np.log(proba), rtol=1e-7, atol=1e-12)
    return proba


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@ignore_convergence
def test_predict_proba_binary(loss):
    X, y = X_digits_binary[:50], y_digits_binary[:50]
    clf = TinyNetClassifier(5, loss=loss, alpha=1e-4, random_state=1).fit(X, y)
    proba = _check_log_proba(clf, X, 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert roc_auc_score(y, proba[:, 1]) == 1.0


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@ignore_convergence
def test_predict_proba_multiclass(loss):
    X, y = X_digits_multi[:10], y_digits_multi[:10]
    clf = TinyNetClassifier(5, loss=loss, alpha=1e-4, random_state=0).fit(X, y)
    proba = _check_log_proba(clf, X, np.unique(y).size)
    assert_allclose(proba.sum(axis=1), 1)


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@ignore_convergence
def test_predict_proba_multilabel(loss):
    # independent sigmoids: rows do not sum to one. The squared error's
    # gradient carries a factor p (1 - p): at the default tol=3e-5 L-BFGS
    # stops on a plateau (loss 0.021 after 74 iterations; 0.0008 after 163
    # at tol=1e-5), so that loss asks for the tighter tol
    X, Y = X_multilabel, y_multilabel
    tighter = {"tol": 1e-5} if loss == "squared_error" else {}
    clf = TinyNetClassifier(30, loss=loss, alpha=1e-4, random_state=0, **tighter)
    clf.fit(X, Y)
    proba = _check_log_proba(clf, X, Y.shape[1])
    assert_array_equal(proba > 0.5, Y)
    assert (proba.sum(1) - 1) @ (proba.sum(1) - 1) > 1e-10


# --- inputs --------------------------------------------------------------------


@pytest.mark.parametrize("csr_container", CSR_CONTAINERS)
def test_sparse_matrices(csr_container):
    # sparse and dense inputs give the same model
    X, y = X_digits_binary[:50], y_digits_binary[:50]
    X_sparse = csr_container(X)
    clf = TinyNetClassifier(15, solver="lbfgs", random_state=1)
    dense = clf.fit(X, y)
    pred1, proba1 = dense.predict(X), dense.predict_proba(X)
    sparse = TinyNetClassifier(15, solver="lbfgs", random_state=1).fit(X_sparse, y)
    assert_array_equal(sparse.predict(X_sparse), pred1)
    assert_allclose(sparse.predict_proba(X_sparse), proba1, rtol=1e-7)
    assert_array_equal(sparse.predict(X), sparse.predict(X_sparse))


# --- stopping ------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_tolerance(solver):
    # a large tol ends training before max_iter
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = TinyNetClassifier(tol=0.5, max_iter=3000, solver=solver).fit(X, y)
    assert clf.max_iter > clf.n_iter_


def test_verbose_sgd(capsys):
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = TinyNetClassifier(2, solver="gd", max_iter=2, momentum=0.0, verbose=True)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    clf.partial_fit(X, y)
    out, _ = capsys.readouterr()
    # one line per update; partial_fit continues the numbering
    assert re.findall(r"Iteration (\d+)", out) == ["1", "2", "3"]


@ignore_convergence
def test_early_stopping():
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 0.2
    clf = TinyNetClassifier(tol=tol, max_iter=3000, solver="gd", early_stopping=True)
    clf.fit(X, y)
    assert clf.max_iter > clf.n_iter_
    assert isinstance(clf.validation_loss_curve_, list)
    valid_losses = clf.validation_loss_curve_
    best = clf.best_validation_loss_
    assert min(valid_losses) == best
    # the last two losses did not improve on the best by tol
    assert valid_losses[-2] > best - tol
    assert valid_losses[-1] > best - tol

    # without early stopping, no validation attributes
    clf = TinyNetClassifier(tol=tol, max_iter=3000, solver="gd", early_stopping=False)
    clf.fit(X, y)
    assert clf.validation_loss_curve_ is None
    assert clf.best_validation_loss_ is None
    assert clf.best_loss_ is not None


def _first_stop(curve, tol, n_iter_no_change):
    """Index at which MLP's rule first stops on ``curve``, or None."""
    best, count = np.inf, 0
    for i, loss in enumerate(curve):
        count = count + 1 if loss > best - tol else 0
        best = min(best, loss)
        if count > n_iter_no_change:
            return i
    return None


@pytest.mark.parametrize("n_iter_no_change", [2, 5, 10, 50, 100])
def test_n_iter_no_change(n_iter_no_change):
    # training stops on the loss that is the (n_iter_no_change + 1)-th in a
    # row without an improvement by tol, not earlier or later
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol, max_iter = 0.01, 3000
    clf = TinyNetClassifier(
        tol=tol,
        max_iter=max_iter,
        solver="gd",
        n_iter_no_change=n_iter_no_change,
        learning_rate_init=0.1,
        random_state=0,
    ).fit(X, y)
    assert max_iter > clf.n_iter_
    curve = clf.loss_curve_
    assert _first_stop(curve, tol, n_iter_no_change) == len(curve) - 1


def test_n_iter_no_change_never_reached():
    # every loss counts as no improvement under a huge tol; with
    # n_iter_no_change=max_iter the rule never fires and gd runs max_iter
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    max_iter = 50
    clf = TinyNetClassifier(
        tol=1e9, max_iter=max_iter, solver="gd", n_iter_no_change=max_iter
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == max_iter


@ignore_convergence
def test_mlp_early_stopping_string_labels():
    X, y = make_classification(
        n_samples=200, n_features=10, n_classes=3, n_informative=5, random_state=42
    )
    y = np.array(["class_a", "class_b", "class_c"], dtype=object)[y]
    clf = TinyNetClassifier(early_stopping=True, max_iter=50, random_state=42)
    clf.fit(X, y)
    assert clf.validation_loss_curve_ is not None
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert np.isfinite(clf.validation_loss_curve_).all()
    assert set(clf.predict(X)) <= set(y)


# --- loss curves across fit, warm start and partial_fit ------------------------


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@ignore_convergence
def test_loss_curve_has_one_entry_per_iteration(solver, early_stopping):
    # MLP: loss_curve_ gains one entry per iteration and continues on warm
    # start; validation_loss_curve_ stays aligned with it
    X, y = X_iris, y_iris
    clf = TinyNetClassifier(
        4,
        solver=solver,
        max_iter=15,
        early_stopping=early_stopping,
        warm_start=True,
        random_state=0,
    )
    clf.fit(X, y)
    assert len(clf.loss_curve_) == clf.n_iter_
    n_first = clf.n_iter_
    clf.fit(X, y)
    # n_iter_ counts this call's iterations; loss_curve_ continues
    assert len(clf.loss_curve_) == n_first + clf.n_iter_
    if early_stopping:
        assert len(clf.validation_loss_curve_) == len(clf.loss_curve_)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_loss_curve_when_stopped_by_tol(early_stopping):
    # stopped by the n_iter_no_change rule before max_iter: still one loss
    # (and one validation loss) per iteration
    clf = TinyNetClassifier(
        4,
        solver="gd",
        tol=0.5,
        max_iter=100,
        early_stopping=early_stopping,
        random_state=0,
    ).fit(X_iris, y_iris)
    assert clf.n_iter_ < clf.max_iter
    assert len(clf.loss_curve_) == clf.n_iter_
    if early_stopping:
        assert len(clf.validation_loss_curve_) == clf.n_iter_


def test_loss_curve_of_partial_fit_has_one_entry_per_call():
    clf = TinyNetClassifier(4, solver="gd", random_state=0)
    for i in range(1, 4):
        clf.partial_fit(X_iris, y_iris, classes=[0, 1, 2])
        assert clf.n_iter_ == 1  # the call's one update, as in scikit-learn
        assert len(clf.loss_curve_) == i


# --- warm start ----------------------------------------------------------------


y_2classes = np.array([0] * 75 + [1] * 75)
y_3classes = np.array([0] * 40 + [1] * 40 + [2] * 70)
y_3classes_alt = np.array([0] * 50 + [1] * 50 + [3] * 50)
y_4classes = np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38)
y_5classes = np.array([0] * 30 + [1] * 30 + [2] * 30 + [3] * 30 + [4] * 30)


def _warm_iris():
    clf = TinyNetClassifier(
        2, solver="lbfgs", warm_start=True, random_state=42, tol=1e-2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X_iris, y_iris)


@ignore_convergence
def test_warm_start():
    # the same classes, in other proportions: no error
    clf = _warm_iris()
    clf.fit(X_iris, y_iris)
    clf.fit(X_iris, y_3classes)


@pytest.mark.parametrize(
    "y", [y_2classes, y_3classes_alt, y_4classes, y_5classes], ids=[2, "3alt", 4, 5]
)
def test_warm_start_other_classes(y):
    # y with other classes than the previous fit, fewer or more, must raise
    # and leave the model as it was
    clf = _warm_iris()
    coefs = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError, match="classes"):
        clf.fit(X_iris, y)
    assert_array_equal(clf.classes_, [0, 1, 2])
    for W, W_before in zip(clf.coefs_, coefs):
        assert_array_equal(W, W_before)


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@ignore_convergence
def test_warm_start_with_other_loss(solver):
    # changing loss between warm fits either raises a ValueError that names
    # loss, or gives the output layer of that loss
    clf = TinyNetClassifier(
        4, solver=solver, warm_start=True, max_iter=5, tol=0.0, random_state=0
    )
    clf.fit(X_iris, y_iris)
    clf.set_params(loss="squared_error")
    try:
        clf.fit(X_iris, y_iris)
    except ValueError as error:
        assert "loss" in str(error)
        return
    fresh = TinyNetClassifier(4, loss="squared_error", max_iter=1).fit(X_iris, y_iris)
    assert clf.out_activation_ == fresh.out_activation_
    proba = clf.predict_proba(X_iris)
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1)


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_warm_start_full_iteration(solver):
    # a warm-started fit runs max_iter iterations again, and n_iter_ counts
    # them (scikit-learn's gh-16812)
    max_iter = 3
    clf = TinyNetClassifier(2, solver=solver, warm_start=True, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_iris, y_iris)
        assert max_iter == clf.n_iter_
        clf.fit(X_iris, y_iris)
        assert max_iter == clf.n_iter_
        assert len(clf.loss_curve_) == 2 * max_iter


def test_mlp_warm_start_with_early_stopping():
    clf = TinyNetClassifier(
        max_iter=10, random_state=0, warm_start=True, early_stopping=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_iris, y_iris)
        n_validation_losses = len(clf.validation_loss_curve_)
        clf.set_params(max_iter=20)
        clf.fit(X_iris, y_iris)
    assert len(clf.validation_loss_curve_) > n_validation_losses


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_mlp_warm_start_no_convergence(solver):
    # a warm start stops at the new max_iter and says it did not converge
    clf = TinyNetClassifier(
        solver=solver,
        warm_start=True,
        max_iter=10,
        n_iter_no_change=1000,
        tol=1e-12,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_iris, y_iris)
    assert clf.n_iter_ == 10
    clf.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_iris, y_iris)
    assert clf.n_iter_ == 20


@ignore_convergence
def test_mlp_partial_fit_after_fit():
    # partial_fit cannot hold rows out: with early_stopping=True it raises a
    # ValueError that names early_stopping, and keeps the model
    clf = TinyNetClassifier(solver="gd", early_stopping=True, random_state=0)
    clf.fit(X_iris, y_iris)
    coefs = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError, match="early_stopping"):
        clf.partial_fit(X_iris, y_iris)
    for W, W_before in zip(clf.coefs_, coefs):
        assert_array_equal(W, W_before)


def test_mlp_diverging_loss():
    # a diverging gd run with early stopping warns and keeps finite weights
    clf = TinyNetClassifier(
        100,
        activation="identity",
        solver="gd",
        alpha=1e-4,
        learning_rate_init=1e3,
        max_iter=20,
        early_stopping=True,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_iris, y_iris)
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
    assert np.isfinite(clf.predict_proba(X_iris)).all()
    assert all(isinstance(v, float) for v in clf.validation_loss_curve_)
    assert len(clf.validation_loss_curve_) == len(clf.loss_curve_)


# --- dtypes, persistence, feature names, sample weights ------------------------


def test_mlp_classifier_dtypes_casting():
    # float32 and float64 inputs give the same predictions
    params = dict(alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, tol=1e-1)
    clf_64 = TinyNetClassifier(max_iter=100, **params)
    clf_64.fit(X_digits[:300], y_digits[:300])
    clf_32 = TinyNetClassifier(max_iter=100, **params)
    clf_32.fit(X_digits[:300].astype(np.float32), y_digits[:300])
    X_test = X_digits[300:]
    assert_array_equal(
        clf_64.predict(X_test), clf_32.predict(X_test.astype(np.float32))
    )
    assert_allclose(
        clf_64.predict_proba(X_test),
        clf_32.predict_proba(X_test.astype(np.float32)),
        rtol=1e-2,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@ignore_convergence
def test_mlp_param_dtypes(dtype):
    # the input's dtype is used for the weights and the probabilities
    X, y = X_digits.astype(dtype), y_digits
    clf = TinyNetClassifier(
        alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=50, tol=1e-1
    )
    clf.fit(X[:300], y[:300])
    assert all(intercept.dtype == dtype for intercept in clf.intercepts_)
    assert all(coef.dtype == dtype for coef in clf.coefs_)
    assert clf.predict_proba(X[300:]).dtype == dtype


@ignore_convergence
def test_mlp_loading_from_joblib_partial_fit(tmp_path):
    # a model loaded with joblib keeps learning with partial_fit
    X, y = [[0.0], [1.0]], [0, 1]
    pre_trained = TinyNetClassifier(
        (42,), solver="gd", alpha=1e-4, random_state=42, max_iter=200
    ).fit(X, y)
    assert_array_equal(pre_trained.predict(X), y)
    path = tmp_path / "tinynet.pkl"
    joblib.dump(pre_trained, path)
    loaded = joblib.load(path)
    # fine-tune on the labels swapped
    for _ in range(50):
        loaded.partial_fit(X, [1, 0])
    assert_array_equal(loaded.predict(X), [1, 0])
    assert_array_equal(pre_trained.predict(X), y)


def test_preserve_feature_names():
    # feature names survive the early-stopping split: no UserWarning
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.arange(10) % 2, name="colname_y")
    clf = TinyNetClassifier(early_stopping=True, validation_fraction=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        clf.score(X, y)
    assert_array_equal(clf.feature_names_in_, ["colname_a", "colname_b"])


@pytest.mark.parametrize("early_stopping", [False, True])
@ignore_convergence
def test_mlp_sample_weight_with_early_stopping(early_stopping):
    # unit sample weights are no sample weights, also through the split
    X, y = make_classification(
        n_samples=100, n_features=4, n_informative=2, random_state=42
    )
    params = dict(
        hidden_layer_sizes=10,
        solver="gd",
        early_stopping=early_stopping,
        tol=1e-2,
        random_state=42,
    )
    weighted = TinyNetClassifier(**params).fit(X, y, sample_weight=np.ones_like(y))
    plain = TinyNetClassifier(**params).fit(X, y, sample_weight=None)
    assert_allclose(weighted.predict_proba(X), plain.predict_proba(X))
    assert weighted.n_iter_ == plain.n_iter_


@pytest.mark.parametrize("n_classes", [2, 3])
def test_no_hidden_layer_is_logistic_regression(n_classes):
    # ported from test_mlp_vs_poisson_glm_equivalent: without hidden layers
    # and with log-loss the network is a (multinomial) logistic regression;
    # mean loss + alpha / (2 n) ||W||^2 is LogisticRegression with C = 1 / alpha
    X, y = make_classification(
        n_samples=100,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    alpha = 10.0
    clf = TinyNetClassifier((), alpha=alpha, tol=1e-10, max_iter=1000).fit(X, y)
    glm = LogisticRegression(C=1 / alpha, tol=1e-10, max_iter=1000).fit(X, y)

    def objective(proba, W):
        log_loss = -np.log(proba[np.arange(len(y)), y]).mean()
        return log_loss + 0.5 * alpha * (W**2).sum() / len(y)

    # both reach the minimum of the same objective; scipy's default ftol ends
    # TinyNet's L-BFGS-B about 1e-5 from the minimiser (2 * alpha moves the
    # probabilities by 0.05)
    assert objective(clf.predict_proba(X), clf.coefs_[0]) == pytest.approx(
        objective(glm.predict_proba(X), glm.coef_), rel=1e-7
    )
    assert_allclose(clf.predict_proba(X), glm.predict_proba(X), atol=1e-3)
