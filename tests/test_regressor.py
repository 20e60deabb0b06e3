"""TinyNetRegressor: standardised targets, outputs, warm starts and bad input."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetRegressor, _network

X, Y = make_regression(
    n_samples=150, n_features=5, n_targets=2, noise=5, random_state=0
)
y = Y[:, 0]
COUNTS = np.random.RandomState(0).poisson(np.exp(X[:, 0] / 2 + 1))


def quiet_fit(model, X_fit, y_fit, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X_fit, y_fit, **kwargs)


def forward(model, X_in):
    """The fitted network's outputs from coefs_ and intercepts_ alone."""
    net = _network.Network(model.activation, model.out_activation_, model.loss)
    z = net.forward(model.coefs_, model.intercepts_, X_in, np)[-1]
    return _network.output_prediction(z, model.out_activation_, np)


@pytest.mark.parametrize("loss, target", [("squared_error", Y), ("poisson", COUNTS)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_coefs_predict_y_itself(loss, target, fit_intercept):
    # the standardisation is folded into the last layer: no other state
    reg = quiet_fit(
        TinyNetRegressor(
            (6,), loss=loss, fit_intercept=fit_intercept, max_iter=50, random_state=0
        ),
        X,
        target,
    )
    expected = forward(reg, X)
    np.testing.assert_allclose(reg.predict(X), np.squeeze(expected), rtol=1e-12)
    assert reg.out_activation_ == ("exp" if loss == "poisson" else "identity")


def test_units_of_y_do_not_change_the_model():
    # y in other units (times a power of two, shifted): the same network,
    # predictions in those units, the same loss curve
    a = quiet_fit(TinyNetRegressor((6,), max_iter=40, random_state=0), X, y)
    b = quiet_fit(TinyNetRegressor((6,), max_iter=40, random_state=0), X, y * 1024)
    np.testing.assert_allclose(b.predict(X), a.predict(X) * 1024, rtol=1e-9)
    assert b.loss_curve_ == pytest.approx(a.loss_curve_, rel=1e-9)
    np.testing.assert_allclose(b.coefs_[0], a.coefs_[0], rtol=1e-9)


def test_standardised_targets_fit_large_and_offset_y():
    # y of mean 1e4 and spread 50: a network of unit-scale weights still fits
    reg = quiet_fit(TinyNetRegressor((8,), random_state=0), X, y / 4 + 1e4)
    assert reg.score(X, y / 4 + 1e4) > 0.95
    assert reg._y_scale[0] == 32.0 and reg._y_offset[0] == pytest.approx(1e4, 1e-2)


def test_multi_output_and_single_output_shapes():
    multi = quiet_fit(TinyNetRegressor((6,), max_iter=30, random_state=0), X, Y)
    assert multi.n_outputs_ == 2 and multi.predict(X).shape == (150, 2)
    single = quiet_fit(TinyNetRegressor((6,), max_iter=30, random_state=0), X, y)
    assert single.n_outputs_ == 1 and single.predict(X).shape == (150,)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = quiet_fit(
            TinyNetRegressor((6,), max_iter=30, random_state=0), X, y[:, None]
        )
    np.testing.assert_array_equal(column.predict(X), single.predict(X))


def test_integer_sample_weight_is_repeated_rows():
    weights = np.random.RandomState(1).randint(0, 3, len(y))
    params = dict(hidden_layer_sizes=(5,), max_iter=20, tol=0, random_state=0)
    weighted = TinyNetRegressor(**params).fit(X, y, sample_weight=weights)
    repeated = TinyNetRegressor(**params).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    for a, b in zip(weighted.coefs_, repeated.coefs_):
        np.testing.assert_array_equal(a, b)


def test_warm_start_continues_the_fitted_network():
    params = dict(
        hidden_layer_sizes=(5,), solver="gd", momentum=0.0, tol=0, random_state=0
    )
    ten = TinyNetRegressor(max_iter=10, **params).fit(X, Y)
    five = TinyNetRegressor(max_iter=5, warm_start=True, **params).fit(X, Y)
    five.fit(X, Y)
    # folding into y's units and back rounds in the last bits only
    for a, b in zip(ten.coefs_ + ten.intercepts_, five.coefs_ + five.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert five.loss_curve_ == pytest.approx(ten.loss_curve_, rel=1e-10)


def test_partial_fit_keeps_the_first_calls_scale():
    reg = TinyNetRegressor((5,), solver="gd", random_state=0)
    reg.partial_fit(X, y)
    scale, offset = reg._y_scale, reg._y_offset
    reg.partial_fit(X[:20], y[:20] * 100)
    assert (reg._y_scale, reg._y_offset) == (scale, offset)
    assert reg.n_iter_ == 1 and len(reg.loss_curve_) == 2


@pytest.mark.parametrize(
    "target, message",
    [
        (COUNTS - 3.0, "non-negative y"),
        (np.zeros(len(y)), "at least one positive value"),
    ],
)
def test_poisson_refuses_targets_it_cannot_fit(target, message):
    reg = TinyNetRegressor(loss="poisson")
    with pytest.raises(ValueError, match=message):
        reg.fit(X, target)
    assert not hasattr(reg, "coefs_")


def test_a_failed_warm_start_leaves_the_model_intact():
    reg = quiet_fit(TinyNetRegressor((4,), max_iter=10, random_state=0), X, Y)
    coefs = [W.copy() for W in reg.coefs_]
    reg.set_params(warm_start=True)
    with pytest.raises(ValueError, match="y has 1 output.*fitted on 2"):
        reg.fit(X, y)
    reg.set_params(loss="poisson")
    with pytest.raises(ValueError, match="loss='poisson' differs"):
        reg.fit(X, np.abs(Y))
    for a, b in zip(reg.coefs_, coefs):
        np.testing.assert_array_equal(a, b)
    assert reg.n_outputs_ == 2


def test_poisson_beats_squared_error_on_counts():
    # counts of a log-linear rate: the log link's deviance is lower
    rng = np.random.RandomState(0)
    X_rate = rng.normal(size=(2000, 3))
    rate = np.exp(X_rate @ [1.0, -0.5, 0.25])
    counts = rng.poisson(rate)
    X_train, X_test, c_train, c_test = (
        X_rate[:1500],
        X_rate[1500:],
        *np.split(counts, [1500]),
    )
    poisson = TinyNetRegressor((), loss="poisson").fit(X_train, c_train)
    squared = TinyNetRegressor(()).fit(X_train, c_train)
    from sklearn.metrics import mean_poisson_deviance

    deviance = {
        name: mean_poisson_deviance(c_test, np.clip(m.predict(X_test), 1e-6, None))
        for name, m in [("poisson", poisson), ("squared", squared)]
    }
    assert deviance["poisson"] < 0.8 * deviance["squared"]
    np.testing.assert_allclose(poisson.coefs_[0][:, 0], [1.0, -0.5, 0.25], atol=0.1)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_cross_validation_and_grid_search():
    pipe = make_pipeline(StandardScaler(), TinyNetRegressor((8,), random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.min() > 0.9
    search = GridSearchCV(pipe, {"tinynetregressor__alpha": [1e-4, 1.0]}, cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.9


def test_skops_round_trip(tmp_path):
    sio = pytest.importorskip("skops.io")
    reg = quiet_fit(TinyNetRegressor((4,), max_iter=20, random_state=0), X, Y)
    path = tmp_path / "model.skops"
    sio.dump(reg, path)
    assert sio.get_untrusted_types(file=path) == ["sklearn_tinynet.TinyNetRegressor"]
    loaded = sio.load(path, trusted=["sklearn_tinynet.TinyNetRegressor"])
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


BASE = np.sin(X[:, 0] / 50) + X[:, 1] / 100  # a unit-scale target


@pytest.mark.parametrize(
    "offset, unit",
    [
        (1.7e18, 1e9),  # nanosecond timestamps: a large offset, spread 1e9
        (1e10, 1.0),
        (0.0, 1e160),  # squares of y overflow float64
        (0.0, 1e-200),  # squares of y underflow
        (1e307, 1e300),
    ],
    ids=["timestamps", "offset_1e10", "huge", "tiny", "near_max"],
)
def test_y_in_any_units_fits_as_centred_y(offset, unit):
    # the standardisation rounds its offset far below the spread, and takes
    # the moments of y divided by a power of two near its largest value
    params = dict(hidden_layer_sizes=(8,), random_state=0)
    expected = TinyNetRegressor(**params).fit(X, BASE).score(X, BASE)
    reg = TinyNetRegressor(**params).fit(X, offset + unit * BASE)
    assert np.isfinite(reg._y_scale).all() and min(reg._y_scale) > 0
    # R² in BASE's units: scikit-learn's r2_score squares y itself
    score = r2_score(BASE, (reg.predict(X) - offset) / unit)
    assert score == pytest.approx(expected, abs=1e-3)


def test_a_warm_start_on_rescaled_y_standardises_anew():
    reg = TinyNetRegressor((8,), warm_start=True, random_state=0).fit(X, BASE)
    fresh = TinyNetRegressor((8,), random_state=0).fit(X, BASE * 1000 + 5)
    reg.fit(X, BASE * 1000 + 5)
    assert reg._y_scale == fresh._y_scale
    assert reg.score(X, BASE * 1000 + 5) > 0.99


def test_without_intercepts_the_scale_is_the_root_mean_square():
    # y = 1000 + small: trained on y / 1024, not on y / (its tiny spread)
    reg = TinyNetRegressor((8,), fit_intercept=False, random_state=0)
    reg.fit(X, 1000 + BASE)
    assert reg._y_offset == (0.0,) and reg._y_scale == (1024.0,)
