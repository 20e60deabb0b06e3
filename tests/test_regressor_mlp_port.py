"""scikit-learn's MLPRegressor tests (neural_network/tests/test_mlp.py), ported.

Ported from scikit-learn 1.9.1. Each test keeps the name of the scikit-learn
test it ports and checks the same behaviour of TinyNetRegressor: 'sgd' and
'adam' become the full-batch 'gd' (also where a test relied on MLP's default
solver, 'adam'), batch_size, shuffle and learning_rate are dropped (MLP's
``batch_size=n_samples`` is what 'gd' does), loops over activations and
momenta are parametrized, and ``validation_scores_`` (R², higher is better)
becomes ``validation_loss_curve_`` (lower is better). MLPRegressor's defaults
``alpha=1e-4`` and ``tol=1e-4`` are passed where a test relied on them
(TinyNetRegressor's are 1.0 and 1e-3, chosen by benchmarks/bench_regression.py);
its default activation, 'relu', is not passed where a test relied on it
(TinyNet's is 'logistic'). Changes inside
a test are marked "changed:".

Not ported (one line each):
- test_lbfgs_regression_maxfun: no max_fun parameter; scipy's maxfun is fixed
  at 15000, so nothing but max_iter limits L-BFGS.
- test_shuffle: no shuffle or batch_size; every update uses all rows.
- MLPClassifier-only tests: see tests/test_mlp_port.py.

Adapted: test_nonfinite_params (TinyNet fits huge X without overflow, so a
ValueError or a finite model); test_early_stopping (best_loss_ is the training
loss, also with early stopping); test_mlp_diverging_loss (gd stops at the
first non-finite loss, so no NaN is recorded); test_minimum_input_sample_size
(the split holds out at least one row: one row is too few, two fit). Added,
regressor versions of classifier-only tests: test_gradient,
test_partial_fit_errors, test_warm_start, test_n_iter_no_change,
test_n_iter_no_change_never_reached (for test_n_iter_no_change_inf) and
test_params_errors (older scikit-learn's, now a common check).

loss_curve_ is the loss of the internally standardised targets (documented in
TinyNetRegressor's docstring), where MLPRegressor's is in y's units.
"""

import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_almost_equal, assert_array_equal
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.preprocessing import MinMaxScaler, scale

from sklearn_tinynet import TinyNetRegressor
from sklearn_tinynet._compat import get_namespace
from sklearn_tinynet._engine import LocalEngine, ParameterLayout
from sklearn_tinynet._network import Network

ACTIVATION_TYPES = ["identity", "logistic", "tanh", "relu"]

# as in scikit-learn: X_digits, y_digits end up the unscaled two-class digits
X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]

X_reg, y_reg = make_regression(
    n_samples=200, n_features=10, bias=20.0, noise=100.0, random_state=7
)
y_reg = scale(y_reg)

X_iris, y_iris = load_iris(return_X_y=True)

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def _copies(reg):
    return [W.copy() for W in reg.coefs_ + reg.intercepts_]


def _assert_unchanged(reg, before):
    for W, W_before in zip(reg.coefs_ + reg.intercepts_, before):
        assert_array_equal(W, W_before)


# --- gradient ------------------------------------------------------------------


def _flat(reg):
    """The fitted weights as one vector, in ParameterLayout's order."""
    parts = []
    for W, b in zip(reg.coefs_, reg.intercepts_):
        parts += [W.ravel(), b]
    return np.concatenate(parts)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
@pytest.mark.parametrize("n_outputs", [1, 3])
@ignore_convergence
def test_gradient(n_outputs, activation, loss):
    # added (scikit-learn's test_gradient is the classifier's): the engine's
    # analytical gradient equals central finite differences, and its loss is
    # the documented objective of the fitted weights on y
    rng = np.random.RandomState(42)
    n_samples, n_features, alpha = 5, 10, 1e-5
    X = rng.rand(n_samples, n_features)
    Y = rng.poisson(2.0, size=(n_samples, n_outputs)).astype(float)  # counts
    Y[0] = 1.0  # every output has a positive count, for 'poisson'
    reg = TinyNetRegressor(
        10, activation=activation, loss=loss, alpha=alpha, max_iter=1, random_state=1
    ).fit(X, Y if n_outputs > 1 else Y.ravel())
    layout = ParameterLayout([n_features, 10, n_outputs], fit_intercept=True)
    net = Network(activation, reg.out_activation_, loss)
    weights = np.full(n_samples, 1 / n_samples)  # the loss is a mean
    theta = _flat(reg)
    for inplace in [True, False]:
        engine = LocalEngine(
            net,
            layout,
            X,
            Y,
            weights,
            alpha=alpha / n_samples,
            xp=get_namespace(X)[0],
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
    P = reg.predict(X).reshape(n_samples, n_outputs)
    if loss == "squared_error":
        per_row = 0.5 * ((Y - P) ** 2).sum(axis=1)
    else:  # half the Poisson deviance, 0 log 0 = 0
        y_log_y = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0)), 0.0)
        per_row = (y_log_y - Y * np.log(P) - Y + P).sum(axis=1)
    penalty = 0.5 * alpha * sum((W**2).sum() for W in reg.coefs_) / n_samples
    assert value == pytest.approx(per_row.mean() + penalty, rel=1e-10)


# --- lbfgs ---------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
def test_lbfgs_regression(activation):
    # changed: shuffle dropped (lbfgs is full-batch in MLP too)
    X, y = X_reg, y_reg
    reg = TinyNetRegressor(
        50,
        activation=activation,
        solver="lbfgs",
        max_iter=200,
        tol=1e-3,
        alpha=1e-4,  # changed: MLPRegressor's default
        random_state=1,
    )
    reg.fit(X, y)
    if activation == "identity":
        assert reg.score(X, y) > 0.80
    else:
        # Non linear models perform much better than linear bottleneck:
        assert reg.score(X, y) > 0.98


def test_multioutput_regression():
    X, y = make_regression(n_samples=200, n_targets=5, random_state=11)
    reg = TinyNetRegressor(50, solver="lbfgs", max_iter=200, tol=1e-2, random_state=1)
    reg.fit(X, y)
    assert reg.score(X, y) > 0.9


# --- partial_fit ---------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0, 0.9])
def test_partial_fit_regression(momentum):
    # 100 calls to partial_fit give the predictions of a fit of 100 updates;
    # changed: 'sgd' with batch_size=X.shape[0] is 'gd'
    X, y = X_reg, y_reg
    params = dict(
        solver="gd",
        activation="relu",
        random_state=1,
        learning_rate_init=0.01,
        momentum=momentum,
        alpha=1e-4,  # changed: MLPRegressor's defaults
        tol=1e-4,
    )
    fitted = TinyNetRegressor(max_iter=100, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X, y)
    pred1 = fitted.predict(X)
    partial = TinyNetRegressor(**params)
    for _ in range(100):
        partial.partial_fit(X, y)
    pred2 = partial.predict(X)
    assert_allclose(pred1, pred2)
    score = partial.score(X, y)
    assert score > 0.65


def test_partial_fit_errors():
    # added (scikit-learn's is the classifier's): a y with another number of
    # outputs than the network's must raise and keep the model; lbfgs has no
    # partial_fit
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    reg = TinyNetRegressor(solver="gd").partial_fit(X, y)
    before = _copies(reg)
    with pytest.raises(ValueError, match="output"):
        reg.partial_fit(X, [[1, 0], [0, 1]])
    _assert_unchanged(reg, before)
    assert reg.n_outputs_ == 1
    assert not hasattr(TinyNetRegressor(solver="lbfgs"), "partial_fit")


@ignore_convergence
def test_mlp_loading_from_joblib_partial_fit(tmp_path):
    # changed: MLP's default 'adam' is 'gd' (partial_fit needs it)
    pre_trained = TinyNetRegressor(
        hidden_layer_sizes=(42,),
        solver="gd",
        random_state=42,
        learning_rate_init=0.01,
        max_iter=200,
        alpha=1e-4,  # changed: MLPRegressor's defaults
        tol=1e-4,
    )
    features, target = [[2]], [4]
    pre_trained.fit(features, target)
    pickled_file = tmp_path / "tinynet.pkl"
    joblib.dump(pre_trained, pickled_file)
    loaded = joblib.load(pickled_file)
    fine_tune_features, fine_tune_target = [[2]], [1]
    for _ in range(200):
        loaded.partial_fit(fine_tune_features, fine_tune_target)
    # finetuned model learned the new target
    assert_allclose(loaded.predict(fine_tune_features), fine_tune_target, rtol=1e-4)


@ignore_convergence
def test_mlp_partial_fit_after_fit():
    # changed: 'gd' (partial_fit needs it); the model is kept
    reg = TinyNetRegressor(solver="gd", early_stopping=True, random_state=0)
    reg.fit(X_iris, y_iris)
    before = _copies(reg)
    msg = "partial_fit does not support early_stopping=True"
    with pytest.raises(ValueError, match=msg):
        reg.partial_fit(X_iris, y_iris)
    _assert_unchanged(reg, before)


# --- non-finite values ---------------------------------------------------------


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_nonfinite_params(solver):
    # changed: MLP raises a ValueError because its weights become non-finite;
    # TinyNet's saturating units fit this X without overflow, so either a
    # ValueError, or a model whose weights and predictions are finite
    rng = np.random.RandomState(0)
    n_samples = 10
    fmax = np.finfo(np.float64).max
    X = fmax * rng.uniform(size=(n_samples, 2))
    y = rng.standard_normal(size=n_samples)
    reg = TinyNetRegressor(solver=solver, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # gd diverges
        try:
            reg.fit(X, y)
        except ValueError:
            assert not hasattr(reg, "coefs_")
            return
    assert all(np.isfinite(W).all() for W in reg.coefs_ + reg.intercepts_)
    assert np.isfinite(reg.predict(X)).all()


def test_mlp_diverging_loss():
    # A diverging model does not raise errors with early stopping.
    # changed: 'sgd' with 150 rows (batch_size 200) is 'gd'. MLP goes on and
    # records a NaN validation score; TinyNet stops at the first non-finite
    # loss, warns, and keeps the weights of the lowest validation loss: every
    # recorded validation loss is a finite float, one per iteration
    reg = TinyNetRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="gd",
        alpha=0.0001,
        learning_rate_init=1,
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg.fit(X_iris, y_iris)
    valid_losses = reg.validation_loss_curve_
    assert all(isinstance(v, float) and np.isfinite(v) for v in valid_losses)
    assert len(valid_losses) == len(reg.loss_curve_)
    assert reg.best_validation_loss_ == min(valid_losses)
    assert all(np.isfinite(W).all() for W in reg.coefs_ + reg.intercepts_)
    assert np.isfinite(reg.predict(X_iris)).all()


# --- stopping ------------------------------------------------------------------


@ignore_convergence
def test_early_stopping():
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 0.2
    reg = TinyNetRegressor(tol=tol, max_iter=3000, solver="gd", early_stopping=True)
    reg.fit(X, y)
    assert reg.max_iter > reg.n_iter_
    # changed: MLP sets best_loss_ to None with early stopping; TinyNet's is
    # the lowest training loss either way
    assert isinstance(reg.validation_loss_curve_, list)
    valid_losses = reg.validation_loss_curve_
    best_valid_loss = reg.best_validation_loss_
    assert min(valid_losses) == best_valid_loss
    # the last two did not improve on the best by tol
    assert valid_losses[-2] > best_valid_loss - tol
    assert valid_losses[-1] > best_valid_loss - tol

    # without early stopping, no validation attributes
    reg = TinyNetRegressor(tol=tol, max_iter=3000, solver="gd", early_stopping=False)
    reg.fit(X, y)
    assert reg.validation_loss_curve_ is None
    assert reg.best_validation_loss_ is None
    assert reg.best_loss_ is not None


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
    # added (scikit-learn's is the classifier's): training stops on the loss
    # that is the (n_iter_no_change + 1)-th in a row without an improvement
    # by tol, not earlier or later
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol, max_iter = 0.01, 3000
    reg = TinyNetRegressor(
        tol=tol,
        max_iter=max_iter,
        solver="gd",
        n_iter_no_change=n_iter_no_change,
        random_state=0,
    ).fit(X, y)
    assert max_iter > reg.n_iter_
    curve = reg.loss_curve_
    assert _first_stop(curve, tol, n_iter_no_change) == len(curve) - 1


def test_n_iter_no_change_never_reached():
    # added, for test_n_iter_no_change_inf (n_iter_no_change is an integer):
    # every loss is no improvement under a huge tol; with
    # n_iter_no_change=max_iter the rule never fires and gd runs max_iter
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    max_iter = 50
    reg = TinyNetRegressor(
        tol=1e9, max_iter=max_iter, solver="gd", n_iter_no_change=max_iter
    )
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    assert reg.n_iter_ == max_iter


def test_minimum_input_sample_size():
    # changed: MLP raises "The validation set is too small" below 2
    # validation rows; TinyNet's split holds out at least one row and needs
    # one left to train on: one row raises, two rows fit
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    model = TinyNetRegressor(early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="early_stopping needs at least 2"):
        model.fit(X[:1], y[:1])
    assert not hasattr(model, "coefs_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert len(model.validation_loss_curve_) == model.n_iter_


# --- warm start ----------------------------------------------------------------


@ignore_convergence
def test_warm_start():
    # added (scikit-learn's is the classifier's): other targets with the same
    # number of outputs continue the fit; another number of outputs must
    # raise and keep the model
    X, y = X_iris, y_iris
    y_3classes = np.array([0] * 40 + [1] * 40 + [2] * 70)
    reg = TinyNetRegressor(
        hidden_layer_sizes=2,
        solver="lbfgs",
        warm_start=True,
        random_state=42,
        tol=1e-2,
    ).fit(X, y)
    reg.fit(X, y)
    reg.fit(X, y_3classes)
    before = _copies(reg)
    with pytest.raises(ValueError, match="output"):
        reg.fit(X, np.c_[y, y_3classes])
    _assert_unchanged(reg, before)
    assert reg.n_outputs_ == 1


def test_mlp_warm_start_with_early_stopping():
    # the validation curve goes on over warm starts; changed: 'gd' for 'adam'
    reg = TinyNetRegressor(
        solver="gd", max_iter=10, random_state=0, warm_start=True, early_stopping=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X_iris, y_iris)
        n_validation_losses = len(reg.validation_loss_curve_)
        reg.set_params(max_iter=20)
        reg.fit(X_iris, y_iris)
    assert len(reg.validation_loss_curve_) > n_validation_losses


# --- dtypes, feature names, sample weights -------------------------------------


def test_mlp_regressor_dtypes_casting():
    # changed: MLP's default 'adam' is 'gd' (its default step, 0.1)
    params = dict(
        solver="gd", alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, tol=1e-3
    )
    reg_64 = TinyNetRegressor(max_iter=150, **params)
    reg_64.fit(X_digits[:300], y_digits[:300])
    pred_64 = reg_64.predict(X_digits[300:])
    reg_32 = TinyNetRegressor(max_iter=150, **params)
    reg_32.fit(X_digits[:300].astype(np.float32), y_digits[:300])
    pred_32 = reg_32.predict(X_digits[300:].astype(np.float32))
    assert_allclose(pred_64, pred_32, rtol=5e-04)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@ignore_convergence
def test_mlp_param_dtypes(dtype):
    # the input's dtype is used for the weights and the predictions;
    # changed: MLP's default 'adam' is 'gd'
    X, y = X_digits.astype(dtype), y_digits
    reg = TinyNetRegressor(
        solver="gd",
        alpha=1e-5,
        hidden_layer_sizes=(5, 3),
        random_state=1,
        max_iter=50,
        tol=1e-1,
    )
    reg.fit(X[:300], y[:300])
    pred = reg.predict(X[300:])
    assert all(intercept.dtype == dtype for intercept in reg.intercepts_)
    assert all(coef.dtype == dtype for coef in reg.coefs_)
    assert pred.dtype == dtype


@ignore_convergence
def test_preserve_feature_names():
    # feature names survive the early-stopping split: no UserWarning;
    # changed: MLP's default 'adam' is 'gd'; the feature_names_in_ check added
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.full(10, 1), name="colname_y")
    model = TinyNetRegressor(solver="gd", early_stopping=True, validation_fraction=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(X, y)
    assert_array_equal(model.feature_names_in_, ["colname_a", "colname_b"])


@pytest.mark.parametrize("early_stopping", [False, True])
def test_mlp_sample_weight_with_early_stopping(early_stopping):
    # unit sample weights are no sample weights, also through the split;
    # changed: 'adam' with batch_size=10 is 'gd'; early_stopping=False added
    X, y = make_regression(
        n_samples=100,
        n_features=2,
        n_informative=2,
        random_state=42,
    )
    sw = np.ones_like(y)
    params = dict(
        hidden_layer_sizes=10,
        solver="gd",
        early_stopping=early_stopping,
        tol=1e-2,
        learning_rate_init=0.01,
        random_state=42,
    )
    m1 = TinyNetRegressor(**params)
    m1.fit(X, y, sample_weight=sw)
    m2 = TinyNetRegressor(**params).fit(X, y, sample_weight=None)
    assert_allclose(m1.predict(X), m2.predict(X))
    assert m1.n_iter_ == m2.n_iter_


# --- Poisson loss --------------------------------------------------------------


# scikit-learn's global_random_seed fixture: 42 by default, any of 0-99 in CI
@pytest.mark.parametrize("global_random_seed", [0, 1, 42])
@pytest.mark.parametrize("hidden_layer_sizes", [(1,), ()], ids=["1", "none"])
def test_mlp_vs_poisson_glm_equivalent(global_random_seed, hidden_layer_sizes):
    """Test MLP with Poisson loss and no hidden layer equals GLM."""
    # changed: TinyNet takes hidden_layer_sizes=() as well as MLP's trick
    # of one identity unit
    n = 100
    rng = np.random.default_rng(global_random_seed)
    X = np.linspace(0, 1, n)
    y = rng.poisson(np.exp(X + 1))
    X = X.reshape(n, -1)
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    mlp = TinyNetRegressor(
        loss="poisson",
        hidden_layer_sizes=hidden_layer_sizes,
        activation="identity",
        alpha=0,
        solver="lbfgs",
        tol=1e-7,
        random_state=np.random.RandomState(global_random_seed + 1),
    ).fit(X, y)
    assert mlp.out_activation_ == "exp"
    assert_allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)

    # The same does not work with the squared error because the output
    # activation is the identity instead of the exponential.
    mlp = TinyNetRegressor(
        loss="squared_error",
        hidden_layer_sizes=hidden_layer_sizes,
        activation="identity",
        alpha=0,
        solver="lbfgs",
        tol=1e-7,
        random_state=np.random.RandomState(global_random_seed + 1),
    ).fit(X, y)
    assert mlp.out_activation_ == "identity"
    assert not np.allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)


# --- parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        {"hidden_layer_sizes": -1},
        {"max_iter": -1},
        {"alpha": -1},
        {"learning_rate_init": -1},
        {"momentum": 2},
        {"momentum": -0.5},
        {"nesterovs_momentum": "invalid"},
        {"early_stopping": "invalid"},
        {"validation_fraction": 1},
        {"validation_fraction": -0.5},
        {"n_iter_no_change": -1},
        {"solver": "hadoken"},
        {"activation": "cloak"},
        # no such solvers or losses here
        {"solver": "sgd"},
        {"solver": "adam"},
        {"loss": "log_loss"},
    ],
    ids=repr,
)
def test_params_errors(args):
    # added, from older scikit-learn's test_params_errors (for MLPClassifier;
    # now a common check): invalid parameters raise a ValueError at fit.
    # Its cases for MLP-only parameters are in test_mlp_only_parameters.
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    with pytest.raises(ValueError):
        TinyNetRegressor(**args).fit(X, y)


@pytest.mark.parametrize(
    "name",
    [
        "batch_size",
        "shuffle",
        "learning_rate",
        "power_t",
        "beta_1",
        "beta_2",
        "epsilon",
        "max_fun",
    ],
)
def test_mlp_only_parameters(name):
    # added: MLPRegressor's parameters of its mini-batch solvers and of
    # max_fun do not exist here
    assert name not in TinyNetRegressor().get_params()
    with pytest.raises(TypeError):
        TinyNetRegressor(**{name: 1})


# --- the loss's units, and Poisson batches of zeros --------------------------


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_loss_is_the_documented_loss_of_y(loss):
    # added: loss_ (the last of loss_curve_) is the training loss of the
    # fitted model on the standardised targets, as documented: y's loss over
    # scale**2 (squared_error) or over scale (poisson), scale being the power
    # of two in _y_scale. lbfgs's last iteration is the returned model;
    # alpha=0, so that the loss is only the data term
    X, y = make_regression(n_samples=100, n_features=4, noise=10, random_state=0)
    if loss == "poisson":
        y = np.random.RandomState(0).poisson(20 * np.exp(X[:, 0] / 4))
    reg = TinyNetRegressor(5, loss=loss, alpha=0, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    pred = reg.predict(X)
    if loss == "squared_error":
        expected = 0.5 * np.mean((y - pred) ** 2) / reg._y_scale[0] ** 2
    else:  # half the Poisson deviance, 0 log 0 = 0
        y_log_y = np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / pred), 0.0)
        expected = np.mean(y_log_y - y + pred) / reg._y_scale[0]
    assert reg._y_scale[0] > 1  # the test tells the two units apart
    assert reg.loss_ == pytest.approx(expected, rel=1e-6)


def test_poisson_partial_fit_takes_a_batch_of_zero_counts():
    # added: once the network is fitted, a batch in which no event was counted
    # is a valid batch of Poisson targets (MLPRegressor takes it): one update
    # towards lower predictions on those rows
    rng = np.random.RandomState(0)
    X = rng.rand(100, 3)
    y = rng.poisson(np.exp(X @ [1.0, 2.0, -1.0]))
    reg = TinyNetRegressor(5, loss="poisson", solver="gd", random_state=0)
    reg.partial_fit(X, y)
    before = reg.predict(X[:5])
    reg.partial_fit(X[:5], np.zeros(5))
    assert (reg.predict(X[:5]) < before).all()


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_warm_start_full_iteration(solver):
    # changed: 'sgd' is 'gd'. A warm-started fit runs max_iter iterations
    # again, and n_iter_ counts them (scikit-learn's gh-16812)
    X, y = X_reg, y_reg
    max_iter = 3
    reg = TinyNetRegressor(
        hidden_layer_sizes=2, solver=solver, warm_start=True, max_iter=max_iter
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
        assert max_iter == reg.n_iter_
        reg.fit(X, y)
        assert max_iter == reg.n_iter_


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_mlp_warm_start_no_convergence(solver):
    # changed: 'sgd'/'adam' are 'gd'; n_iter_no_change is an integer here, and
    # tol=1e-12 keeps either solver from stopping early
    model = TinyNetRegressor(
        solver=solver,
        warm_start=True,
        early_stopping=False,
        max_iter=10,
        n_iter_no_change=1000,
        tol=1e-12,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 10
    model.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 20
