"""TinyNetClassifier: training, targets, inputs, stopping, scikit-learn integration."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier

XOR_X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
XOR_Y = np.array([0, 1, 1, 0])


def quiet(fit, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


def fixed_init(weights):
    """An init callable handing out the given matrices in layer order."""
    remaining = iter(weights)
    return lambda rs, fan_in, fan_out: next(remaining).copy()


def one_update(X, y, weights, **params):
    """Weights after one plain gradient-descent update from ``weights``."""
    clf = TinyNetClassifier(
        solver="gd", momentum=0.0, max_iter=1, init=fixed_init(weights), **params
    )
    return quiet(clf.fit, X, y)


# --- the objective: an independent formula, differentiated numerically -----


def reference_objective(coefs, intercepts, X, Y, w, loss, out, alpha):
    """sum_i w_i L_i / sum_i w_i + alpha / 2 ||W||^2 / sum_i w_i, from scratch."""
    a = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        a = 1 / (1 + np.exp(-(a @ W + b)))
    z = a @ coefs[-1] + intercepts[-1]
    if out == "softmax":
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        per_row = -(Y * np.log(p)).sum(axis=1)
    else:
        p = 1 / (1 + np.exp(-z))
        if loss == "log_loss":
            per_row = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)
        else:
            per_row = 0.5 * ((Y - p) ** 2).sum(axis=1)
    penalty = 0.5 * alpha * sum((W**2).sum() for W in coefs)
    return (w @ per_row + penalty) / w.sum()


@pytest.mark.parametrize(
    "target, loss",
    [
        ("binary", "log_loss"),
        ("multiclass", "log_loss"),
        ("multilabel", "log_loss"),
        ("binary", "squared_error"),
        ("multiclass", "squared_error"),
    ],
)
@pytest.mark.parametrize("hidden", [(), (4,), (3, 2)])
@pytest.mark.parametrize("weighting", ["none", "sample", "class", "both"])
def test_update_is_gradient_of_the_documented_objective(
    target, loss, hidden, weighting
):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 3))
    if target == "multilabel":
        y = rng.randint(0, 2, size=(12, 2))
        Y = y.astype(float)
    elif target == "binary":
        y = np.r_[np.zeros(8, int), np.ones(4, int)]  # imbalanced on purpose
        Y = y[:, None].astype(float)
    else:
        y = np.r_[np.zeros(6, int), np.ones(4, int), np.full(2, 2)]
        Y = np.eye(3)[y]
    sw = rng.uniform(0.5, 2, 12) if weighting in ("sample", "both") else np.ones(12)
    class_weight = "balanced" if weighting in ("class", "both") else None
    alpha, lr = 0.2, 1e-3
    units = [3, *hidden, Y.shape[1]]
    W0 = [rng.normal(size=(a, b)) for a, b in zip(units[:-1], units[1:])]
    clf = TinyNetClassifier(
        hidden_layer_sizes=hidden,
        solver="gd",
        momentum=0.0,
        max_iter=1,
        init=fixed_init(W0),
        loss=loss,
        alpha=alpha,
        learning_rate_init=lr,
        class_weight=class_weight,
    )
    quiet(clf.fit, X, y, sample_weight=sw)
    # weights as documented: sample weight times the balanced class weight,
    # total weight / (n_classes * weight of the class), per output column
    w = sw.copy()
    if class_weight:
        for labels in Y.T if target == "multilabel" else [y]:
            for c in np.unique(labels):
                in_c = labels == c
                w[in_c] *= sw.sum() / (len(np.unique(labels)) * sw[in_c].sum())
    params = [*W0, *[np.zeros(n) for n in units[1:]]]

    def objective(flat):
        parts, start = [], 0
        for p in params:
            parts.append(flat[start : start + p.size].reshape(p.shape))
            start += p.size
        coefs, intercepts = parts[: len(W0)], parts[len(W0) :]
        return reference_objective(
            coefs, intercepts, X, Y, w, loss, clf.out_activation_, alpha
        )

    flat0 = np.concatenate([p.ravel() for p in params])
    eps = 1e-6
    numeric = np.array(
        [
            (objective(flat0 + eps * e) - objective(flat0 - eps * e)) / (2 * eps)
            for e in np.eye(flat0.size)
        ]
    )
    flat1 = np.concatenate([p.ravel() for p in clf.coefs_ + clf.intercepts_])
    np.testing.assert_allclose((flat0 - flat1) / lr, numeric, rtol=1e-5, atol=1e-7)
    assert clf.loss_curve_[0] == pytest.approx(objective(flat0), rel=1e-10)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("hidden", [(5,), (4, 3)])
def test_one_update_equals_mlpclassifier_sgd(n_classes, hidden):
    X, y = make_blobs(n_samples=40, n_features=3, centers=n_classes, random_state=0)
    rng = np.random.RandomState(0)
    n_out = 1 if n_classes == 2 else n_classes
    units = [3, *hidden, n_out]
    W0 = [rng.uniform(-1, 1, size=(a, b)) for a, b in zip(units[:-1], units[1:])]
    params = dict(learning_rate_init=0.3, alpha=0.01)
    ours = one_update(X, y, W0, hidden_layer_sizes=hidden, **params)

    mlp = MLPClassifier(
        hidden,
        activation="logistic",
        solver="sgd",
        batch_size=len(X),
        momentum=0.0,
        shuffle=False,
        max_iter=1,
        warm_start=True,
        random_state=0,
        **params,
    )
    quiet(mlp.fit, X, y)
    mlp.coefs_ = [W.copy() for W in W0]
    mlp.intercepts_ = [np.zeros(n) for n in units[1:]]
    quiet(mlp.fit, X, y)
    for W, W_mlp in zip(ours.coefs_ + ours.intercepts_, mlp.coefs_ + mlp.intercepts_):
        np.testing.assert_allclose(W, W_mlp, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_learns_xor(solver):
    clf = TinyNetClassifier(
        (4,),
        solver=solver,
        learning_rate_init=2.0,
        max_iter=2000,
        alpha=0.0,
        tol=1e-6,
        random_state=1,
    )
    clf.fit(XOR_X, XOR_Y)
    assert clf.predict(XOR_X).tolist() == XOR_Y.tolist()
    assert clf.n_iter_ > 1


def test_string_labels_multiclass():
    X, y = make_blobs(n_samples=90, centers=3, random_state=0)
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = quiet(TinyNetClassifier((10,), alpha=0.05, random_state=0).fit, X, labels)
    assert clf.classes_.tolist() == ["cat", "dog", "emu"]
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    assert set(clf.predict(X)) <= set(labels)
    assert clf.score(X, labels) > 0.95
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    assert (clf.classes_[proba.argmax(axis=1)] == clf.predict(X)).all()


def test_binary_has_one_sigmoid_output():
    X, y = make_classification(n_samples=60, random_state=0)
    clf = TinyNetClassifier((6,), random_state=0).fit(X, y)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    assert clf.n_layers_ == 3 and clf.coefs_[1].shape == (6, 1)
    scores = clf.decision_function(X)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], 1 / (1 + np.exp(-scores)))
    np.testing.assert_array_equal(clf.predict(X), (scores > 0).astype(int))


def test_multilabel_targets():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    Y = np.c_[X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5].astype(int)
    clf = TinyNetClassifier((8,), random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    assert clf.predict(X).shape == (120, 3)
    assert (clf.predict(X) == Y).mean() > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 3) and ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))


@pytest.mark.parametrize("sparse_format", ["csr", "csc"])
def test_a_sparse_multilabel_y_fits_as_dense_and_predicts_sparse(sparse_format):
    # as MLPClassifier: the same model, and predict answers in y's form
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    Y = np.c_[X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5].astype(int)
    params = dict(hidden_layer_sizes=(8,), max_iter=30, tol=0, random_state=0)
    dense = TinyNetClassifier(**params).fit(X, Y)
    sparse = TinyNetClassifier(**params).fit(
        X, sp.csr_matrix(Y).asformat(sparse_format)
    )
    for W, W_sparse in zip(dense.coefs_, sparse.coefs_):
        np.testing.assert_array_equal(W, W_sparse)
    predicted = sparse.predict(X)
    assert sp.issparse(predicted) and predicted.format == "csr"
    np.testing.assert_array_equal(predicted.toarray(), dense.predict(X))
    np.testing.assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))
    assert sparse.score(X, sp.csr_matrix(Y)) == dense.score(X, Y)
    assert not sp.issparse(dense.predict(X))


def test_squared_error_multiclass_probabilities_are_normalised_sigmoids():
    X, y = make_blobs(n_samples=60, centers=3, random_state=1)
    clf = TinyNetClassifier((5,), loss="squared_error", random_state=0).fit(X, y)
    assert clf.out_activation_ == "logistic"
    p = 1 / (1 + np.exp(-clf.decision_function(X)))
    np.testing.assert_allclose(clf.predict_proba(X), p / p.sum(axis=1, keepdims=True))


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_float32_is_kept(solver):
    X, y = make_classification(n_samples=80, n_features=6, random_state=0)
    clf = quiet(
        TinyNetClassifier((5,), solver=solver, random_state=0).fit,
        X.astype(np.float32),
        y,
    )
    assert all(W.dtype == np.float32 for W in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    clf64 = quiet(TinyNetClassifier((5,), solver=solver, random_state=0).fit, X, y)
    assert (clf.predict(X.astype(np.float32)) == clf64.predict(X)).mean() > 0.95


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_matches_dense(fmt):
    X, y = make_classification(n_samples=60, n_features=8, random_state=0)
    X[np.abs(X) < 0.8] = 0
    # a strong penalty and a loose tolerance: a well-conditioned problem, on
    # which rounding differences of the sparse products stay at 1e-6
    params = {"alpha": 0.5, "tol": 1e-4, "random_state": 0}
    dense = TinyNetClassifier((5,), **params).fit(X, y)
    sparse = TinyNetClassifier((5,), **params).fit(sp.csr_matrix(X).asformat(fmt), y)
    for W, W_sparse in zip(dense.coefs_, sparse.coefs_):
        np.testing.assert_allclose(W, W_sparse, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X).asformat(fmt)),
        dense.predict_proba(X),
        rtol=1e-6,
        atol=1e-8,
    )


def test_read_only_memmap(tmp_path):
    X, y = make_classification(n_samples=50, random_state=0)
    path = tmp_path / "X.npy"
    np.save(path, X)
    X_mm = np.load(path, mmap_mode="r")
    clf = TinyNetClassifier((4,), random_state=0).fit(X_mm, y)
    np.testing.assert_array_equal(clf.predict(X_mm), clf.predict(X))


def test_early_stopping_keeps_best_validation_weights():
    X, y = make_classification(n_samples=300, n_features=10, flip_y=0.3, random_state=0)
    clf = TinyNetClassifier(
        (50,),
        solver="gd",
        learning_rate_init=2.0,
        alpha=0.0,
        early_stopping=True,
        max_iter=500,
        n_iter_no_change=20,
        random_state=0,
    ).fit(X, y)
    curve = clf.validation_loss_curve_
    assert len(curve) == len(clf.loss_curve_) < 500
    assert clf.best_validation_loss_ == min(curve)
    best = int(np.argmin(curve))
    assert best < len(curve) - 20  # it stopped because the validation loss rose
    # the kept weights are those of the best iteration: refit that many updates
    refit = TinyNetClassifier(
        (50,),
        solver="gd",
        learning_rate_init=2.0,
        alpha=0.0,
        early_stopping=True,
        max_iter=best + 1,
        random_state=0,
    )
    quiet(refit.fit, X, y)
    for W, W_refit in zip(clf.coefs_, refit.coefs_):
        np.testing.assert_array_equal(W, W_refit)


def test_partial_fit_is_one_update_with_momentum_state():
    X, y = make_blobs(n_samples=50, centers=3, random_state=0)
    params = dict(hidden_layer_sizes=(4,), solver="gd", momentum=0.9, random_state=0)
    fitted = quiet(TinyNetClassifier(max_iter=3, tol=0.0, **params).fit, X, y)
    partial = TinyNetClassifier(**params)
    for _ in range(3):
        partial.partial_fit(X, y, classes=[0, 1, 2])
    for W, W_partial in zip(fitted.coefs_, partial.coefs_):
        np.testing.assert_array_equal(W, W_partial)
    # t_ counts on over partial_fit calls, as loss_curve_ does; n_iter_ is
    # the last call's, as in scikit-learn
    assert partial.n_iter_ == 1 and len(partial.loss_curve_) == 3
    assert partial.t_ == 150
    assert partial.loss_curve_ == fitted.loss_curve_


def test_partial_fit_needs_classes_and_rejects_unknown_labels():
    X, y = make_blobs(n_samples=30, centers=3, random_state=0)
    clf = TinyNetClassifier(solver="gd", learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        clf.partial_fit(X, np.where(y == 2, 7, y))
    assert not hasattr(TinyNetClassifier(solver="lbfgs"), "partial_fit")


def test_warm_start_continues_training():
    X, y = make_blobs(n_samples=50, centers=2, random_state=0)
    params = dict(
        hidden_layer_sizes=(4,), solver="gd", momentum=0.0, tol=0.0, random_state=0
    )
    once = quiet(TinyNetClassifier(max_iter=20, **params).fit, X, y)
    twice = TinyNetClassifier(max_iter=10, warm_start=True, **params)
    quiet(twice.fit, X, y)
    quiet(twice.fit, X, y)
    for W, W_twice in zip(once.coefs_, twice.coefs_):
        np.testing.assert_allclose(W, W_twice, rtol=1e-12)
    assert len(twice.loss_curve_) == 20 and twice.n_iter_ == 10


def test_failed_warm_start_fit_leaves_model_intact():
    X, y = make_blobs(n_samples=50, centers=2, random_state=0)
    clf = TinyNetClassifier((4,), warm_start=True, random_state=0).fit(X, y)
    before = {k: v for k, v in vars(clf).items()}
    coefs = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError, match="features"):
        clf.fit(X[:, :1], y)
    with pytest.raises(ValueError, match="warm_start can only be used where"):
        clf.fit(X, y + 5)
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[k] is before[k] for k in before)
    for W, W_before in zip(clf.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)


def test_divergence_keeps_finite_weights_and_warns():
    X, y = make_classification(n_samples=100, random_state=0)
    clf = TinyNetClassifier(
        (20,),
        solver="gd",
        learning_rate_init=1e8,
        activation="identity",
        max_iter=100,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="lower learning_rate_init"):
        clf.fit(X * 1e100, y)
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
    assert np.isfinite(clf.predict_proba(X)).all()


def test_stops_when_loss_stops_improving():
    X, y = make_blobs(n_samples=60, centers=2, random_state=0)
    clf = TinyNetClassifier(
        (4,), solver="gd", tol=1e-2, n_iter_no_change=3, max_iter=1000, random_state=0
    ).fit(X, y)
    assert clf.n_iter_ < 1000
    curve = clf.loss_curve_
    # the last n_iter_no_change + 1 losses each failed to beat the best by tol
    assert all(
        curve[j] > min(curve[:j]) - 1e-2 for j in range(len(curve) - 4, len(curve))
    )
    # the iteration that stops counts and makes no update
    assert clf.n_iter_ == len(curve)


def test_invalid_parameters_name_the_parameter():
    X, y = XOR_X, XOR_Y
    with pytest.raises(
        ValueError, match="hidden_layer_sizes must be a tuple of positive"
    ):
        TinyNetClassifier(hidden_layer_sizes=(4, 0)).fit(X, y)
    with pytest.raises(ValueError, match="'learning_rate_init' parameter"):
        TinyNetClassifier(learning_rate_init=0).fit(X, y)
    with pytest.raises(ValueError, match="'solver' parameter"):
        TinyNetClassifier(solver="adam").fit(X, y)
    with pytest.raises(ValueError, match="class_weight names classes \\[9\\]"):
        TinyNetClassifier(class_weight={9: 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="init returned an array of shape"):
        TinyNetClassifier(init=lambda rs, a, b: np.zeros((a, b + 1))).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        TinyNetClassifier().fit(X, np.zeros(4))


def test_class_weight_dict_and_balanced():
    X, y = make_classification(n_samples=200, weights=[0.9], flip_y=0.1, random_state=0)
    params = dict(hidden_layer_sizes=(), alpha=1.0, random_state=0)
    plain = TinyNetClassifier(**params).fit(X, y)
    balanced = TinyNetClassifier(class_weight="balanced", **params).fit(X, y)
    heavy = TinyNetClassifier(class_weight={1: 9.0}, **params).fit(X, y)
    n_predicted_ones = [(clf.predict(X) == 1).sum() for clf in (plain, balanced, heavy)]
    assert n_predicted_ones[0] < min(n_predicted_ones[1:])


def test_verbose_prints_losses(capsys):
    clf = TinyNetClassifier(
        (3,),
        max_iter=3,
        tol=0.0,
        solver="gd",
        verbose=True,
        early_stopping=True,
        random_state=0,
    )
    quiet(clf.fit, *make_blobs(n_samples=40, centers=2, random_state=0))
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "validation loss = " in out


def test_feature_names_are_checked():
    pd = pytest.importorskip("pandas")
    X, y = make_blobs(n_samples=30, centers=2, n_features=2, random_state=0)
    df = pd.DataFrame(X, columns=["a", "b"])
    clf = TinyNetClassifier((3,), random_state=0).fit(df, y)
    assert clf.feature_names_in_.tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"a": "c"}))


def test_clone_and_pipeline_cross_validation():
    X, y = make_classification(n_samples=120, random_state=0)
    pipe = make_pipeline(StandardScaler(), TinyNetClassifier((8,), random_state=0))
    scores = cross_val_score(clone(pipe), X, y, cv=3)
    assert scores.mean() > 0.8


@pytest.mark.slow
def test_grid_search_on_digits_with_string_labels():
    X, y = load_digits(return_X_y=True)
    labels = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )[y]
    pipe = make_pipeline(StandardScaler(), TinyNetClassifier(random_state=0))
    # shuffled folds: digits' rows come grouped by writer
    search = GridSearchCV(
        pipe,
        {
            "tinynetclassifier__hidden_layer_sizes": [(32,), (64,)],
            "tinynetclassifier__alpha": [0.1, 1.0],
        },
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    )
    quiet(search.fit, X, labels)
    assert search.best_score_ >= 0.95
    assert set(search.predict(X[:20])) <= set(labels)


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_bit_identical_weights_for_any_thread_count(solver):
    from threadpoolctl import threadpool_limits

    X, y = make_classification(
        n_samples=9000, n_features=20, n_classes=3, n_informative=5, random_state=0
    )
    X = X.astype(np.float32)

    def fit(n_jobs):
        clf = TinyNetClassifier(
            (16,), solver=solver, max_iter=15, n_jobs=n_jobs, random_state=0
        )
        return quiet(clf.fit, X, y).coefs_

    reference = fit(1)
    with threadpool_limits(limits=1, user_api="blas"):
        single_blas = fit(1)
    for coefs in (fit(1), fit(2), fit(3), single_blas):
        for W, W_ref in zip(coefs, reference):
            np.testing.assert_array_equal(W, W_ref)


def test_sparse_input_over_several_blocks_and_threads():
    rng = np.random.RandomState(0)
    X = sp.random(5000, 50, density=0.1, format="csr", random_state=rng)
    y = np.arange(5000) % 3
    params = dict(
        hidden_layer_sizes=(20,), max_iter=5, tol=0.0, n_jobs=2, random_state=0
    )
    sparse = TinyNetClassifier(**params).fit(X, y)
    dense = TinyNetClassifier(**params).fit(X.toarray(), y)
    for W, W_dense in zip(sparse.coefs_, dense.coefs_):
        np.testing.assert_allclose(W, W_dense, rtol=1e-10, atol=1e-12)
