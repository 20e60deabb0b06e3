"""Training on a dask cluster: the same model as in memory, the rows kept on it."""

import functools
import os
import signal
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklearn_tinynet import TinyNetClassifier, TinyNetRegressor, _dask, _engine

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def cluster():
    # 2 worker processes of 1 thread; distributed's nanny.pre-spawn-environ
    # gives each OMP/OPENBLAS/MKL_NUM_THREADS=1. The scheduler's HTTP server
    # takes a free port (":0"): None would try 8787 and warn when it is taken.
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as client:
        yield client


def sorted_data(n_rows=4096, n_features=5, n_classes=3, seed=0):
    """Distinct rows in the in-memory fit's canonical order (sorted by X, y)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, n_features))
    y = np.argmax(X[:, :n_classes] + rng.normal(size=(n_rows, n_classes)), axis=1)
    rows = np.unique(np.column_stack([X, y]), axis=0)
    return rows[:, :n_features], rows[:, n_features].astype(np.int64)


X, y = sorted_data()
HIDDEN = (64,)
# 4096 rows x 64 units: 8 blocks of 512 rows in memory, one per lane
BLOCK_ROWS = _engine.rows_per_block(len(X), [5, *HIDDEN, 3])


def tiny(**params):
    params = {
        "max_iter": 8,
        "tol": 0.0,
        "learning_rate_init": 0.2,  # gd
        "momentum": 0.0,
        "random_state": 0,
        **params,
    }
    return TinyNetClassifier(HIDDEN, **params)


def assert_same_weights(a, b):
    for W_a, W_b in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(W_a, W_b)
    assert a.loss_curve_ == b.loss_curve_


def test_blocks_are_as_documented():
    assert BLOCK_ROWS == 512


SW = np.random.RandomState(1).uniform(0.5, 2.0, len(X))
INTEGER_SW = np.random.RandomState(2).randint(1, 4, len(X)).astype(float)


def regression_data(n_rows=4096, n_features=5, n_outputs=2, seed=0):
    """Distinct rows in the in-memory fit's canonical order (sorted by X, y)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, n_features))
    Y = np.tanh(X[:, :n_outputs]) * 40 + 100 + rng.normal(size=(n_rows, n_outputs))
    rows = np.unique(np.column_stack([X, Y]), axis=0)
    return rows[:, :n_features], rows[:, n_features:]


X_REG, Y_REG = regression_data()
COUNTS = np.random.RandomState(3).poisson(np.exp(X_REG[:, 0]))


def tiny_regressor(**params):
    return TinyNetRegressor(
        HIDDEN, **{"max_iter": 8, "tol": 0.0, "random_state": 0, **params}
    )


# (estimator, X, y): the same fits on in-memory and on dask rows
FITS = {
    "classifier": (tiny, X, y),
    "classifier_sw": (functools.partial(tiny, class_weight="balanced"), X, y),
    "regressor": (tiny_regressor, X_REG, Y_REG[:, 0]),
    "regressor_multioutput": (tiny_regressor, X_REG, Y_REG),
    "regressor_poisson": (
        functools.partial(tiny_regressor, loss="poisson"),
        X_REG,
        COUNTS,
    ),
    "regressor_early_stopping": (
        functools.partial(tiny_regressor, early_stopping=True),
        X_REG,
        Y_REG,
    ),
}


@pytest.mark.parametrize(
    "fit, rows_per_chunk",
    [(fit, rows) for fit in FITS for rows in (len(X), BLOCK_ROWS)
     # early stopping's chunks keep their own training rows: blocks differ
     if not (fit.endswith("early_stopping") and rows != len(X))],
)  # fmt: skip
@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_dask_fit_equals_numpy_fit(client, fit, solver, rows_per_chunk):
    # one chunk, or chunks on the in-memory blocks: bit-identical
    make, X_fit, y_fit = FITS[fit]
    # integer weights: class totals summed chunk by chunk are exact
    sample_weight = INTEGER_SW if fit.endswith("_sw") else None
    expected = make(solver=solver).fit(X_fit, y_fit, sample_weight=sample_weight)
    Xd = da.from_array(X_fit, chunks=(rows_per_chunk, -1))
    yd = da.from_array(y_fit, chunks=(rows_per_chunk, *y_fit.shape[1:]))
    if sample_weight is not None:
        sample_weight = da.from_array(sample_weight, chunks=rows_per_chunk)
    fitted = make(solver=solver).fit(Xd, yd, sample_weight=sample_weight)
    assert_same_weights(fitted, expected)
    assert fitted.n_features_in_ == 5 and fitted.t_ == expected.t_
    np.testing.assert_array_equal(fitted.predict(Xd).compute(), expected.predict(X_fit))


def test_chunks_off_the_blocks_agree_to_rounding(client):
    expected = tiny(solver="gd").fit(X, y)
    Xd = da.from_array(X, chunks=(700, -1))
    fitted = tiny(solver="gd").fit(Xd, da.from_array(y, chunks=700))
    for W, W_expected in zip(fitted.coefs_, expected.coefs_):
        np.testing.assert_allclose(W, W_expected, rtol=1e-12, atol=1e-15)
    assert not all(
        np.array_equal(a, b) for a, b in zip(fitted.coefs_, expected.coefs_)
    )  # the sums are associated differently


def test_one_and_two_workers_give_identical_weights(client):
    Xd, yd = da.from_array(X, chunks=(300, -1)), da.from_array(y, chunks=300)
    two = tiny().fit(Xd, yd)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as single,
        distributed.Client(single, set_as_default=False) as one_worker,
        one_worker.as_current(),
    ):
        one = tiny().fit(Xd, yd)
    assert_same_weights(one, two)


@pytest.mark.parametrize(
    "params, sample_weight",
    [
        ({}, SW),
        ({"class_weight": "balanced"}, INTEGER_SW),
        ({"class_weight": {0: 2.0, 2: 0.5}}, None),
        ({"early_stopping": True, "solver": "gd"}, None),
        ({"early_stopping": True, "validation_fraction": 0.3}, SW),
        # each finite, their sum not: scaled by a power of two, as in memory
        ({}, SW * 2.0**1020),
    ],
    ids=[
        "sample_weight",
        "balanced",
        "dict",
        "early_stopping_gd",
        "es_lbfgs_sw",
        "huge_sample_weight",
    ],
)
def test_weights_and_early_stopping_as_in_memory(client, params, sample_weight):
    expected = tiny(**params).fit(X, y, sample_weight=sample_weight)
    sw = None if sample_weight is None else da.from_array(sample_weight, chunks=-1)
    fitted = tiny(**params).fit(da.from_array(X), da.from_array(y), sample_weight=sw)
    assert_same_weights(fitted, expected)
    assert fitted.validation_loss_curve_ == expected.validation_loss_curve_


@pytest.mark.parametrize(
    "class_weight, weight",
    [("balanced", 1e307), ({0: 1e10, 1: 1.0, 2: 1.0}, 1e300)],
    ids=["balanced_totals", "dict_products"],
)
def test_class_weighted_weights_that_would_overflow_train_as_in_memory(
    client, class_weight, weight
):
    # sample and class weights are scaled by powers of two chunk by chunk,
    # with one exponent for all chunks, as in memory: no product overflows
    sample_weight = np.full(len(y), weight)
    expected = tiny(class_weight=class_weight).fit(X, y, sample_weight=sample_weight)
    fitted = tiny(class_weight=class_weight).fit(
        da.from_array(X), da.from_array(y), sample_weight=da.from_array(sample_weight)
    )
    assert np.isfinite(fitted.loss_curve_).all()
    assert_same_weights(fitted, expected)


def test_early_stopping_over_chunks_holds_out_the_same_rows(client):
    expected = tiny(early_stopping=True, solver="gd").fit(X, y)
    Xd = da.from_array(X, chunks=(1000, -1))
    fitted = tiny(early_stopping=True, solver="gd").fit(
        Xd, da.from_array(y, chunks=1000)
    )
    np.testing.assert_allclose(
        fitted.validation_loss_curve_, expected.validation_loss_curve_, rtol=1e-12
    )
    assert fitted.t_ == expected.t_  # as many training rows


def test_string_labels_multilabel_and_warm_start(client):
    labels = np.array(["ant", "bee", "cat"], dtype=object)[y]
    expected = tiny().fit(X, labels)
    labels_dask = da.from_array(labels, chunks=1000)
    fitted = tiny().fit(da.from_array(X, chunks=(1000, -1)), labels_dask)
    # chunks of 1000 rows sum in another order: the last bits differ
    np.testing.assert_allclose(
        fitted.coefs_[0], expected.coefs_[0], rtol=1e-12, atol=1e-15
    )
    assert list(fitted.classes_) == ["ant", "bee", "cat"]
    # warm_start continues from the fitted weights, as in memory
    expected.set_params(warm_start=True, max_iter=3).fit(X, labels)
    fitted.set_params(warm_start=True, max_iter=3).fit(
        da.from_array(X, chunks=(1000, -1)), labels_dask
    )
    np.testing.assert_allclose(
        fitted.coefs_[0], expected.coefs_[0], rtol=1e-12, atol=1e-15
    )
    assert len(fitted.loss_curve_) == 11
    # multilabel: an indicator matrix
    Y = np.column_stack([y == 0, y == 1, y != 1]).astype(int)
    expected = tiny().fit(X, Y)
    fitted = tiny().fit(da.from_array(X), da.from_array(Y))
    assert_same_weights(fitted, expected)


def test_y_and_sample_weight_in_memory_with_dask_X(client):
    labels = np.array(["ant", "bee", "cat"], dtype=object)[y]
    Xd = da.from_array(X, chunks=(1000, -1))
    fitted = tiny().fit(Xd, labels, sample_weight=SW)
    expected = tiny().fit(
        Xd, da.from_array(labels, chunks=1000), da.from_array(SW, chunks=1000)
    )
    assert_same_weights(fitted, expected)


def test_a_column_y_warns_as_in_memory_at_the_callers_line(client):
    from sklearn.exceptions import DataConversionWarning

    column = da.from_array(y[:, None], chunks=1000)
    with pytest.warns(DataConversionWarning) as on_dask:
        tiny().fit(da.from_array(X, chunks=(1000, -1)), column)
    with pytest.warns(DataConversionWarning) as in_memory:
        tiny(max_iter=1).fit(X, y[:, None])
    assert len(on_dask) == 1 and on_dask[0].filename == __file__
    assert str(on_dask[0].message) == str(in_memory[0].message)


def test_dataframe_and_series(client):
    columns = [f"f{i}" for i in range(5)]
    frame = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=1)
    labels = np.array(["ant", "bee", "cat"])[y]
    series = dd.from_pandas(pd.Series(labels), npartitions=1)  # pandas' strings
    fitted = tiny().fit(frame, series)
    assert_same_weights(fitted, tiny().fit(X, labels))
    assert list(fitted.classes_) == ["ant", "bee", "cat"]
    assert list(fitted.feature_names_in_) == columns
    proba = fitted.predict_proba(frame)
    assert isinstance(proba, da.Array)
    expected = fitted.predict_proba(pd.DataFrame(X, columns=columns))
    np.testing.assert_array_equal(proba.compute(), expected)


def test_column_chunks_are_merged(client):
    Xd = da.from_array(X, chunks=(BLOCK_ROWS, 2))
    fitted = tiny().fit(Xd, da.from_array(y, chunks=BLOCK_ROWS))
    assert_same_weights(fitted, tiny().fit(X, y))


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
@pytest.mark.parametrize("target", ["multiclass", "binary", "multilabel"])
def test_predictions_are_lazy_and_chunked(client, method, target):
    targets = {
        "multiclass": y,
        "binary": np.array(["no", "yes"], dtype=object)[(y > 0).astype(int)],
        "multilabel": np.column_stack([y == 0, y == 1]).astype(int),
    }[target]
    clf = TinyNetClassifier((4,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 5 iterations
        clf.fit(X, targets)
    Xd = da.from_array(X, chunks=(1000, -1))
    result = getattr(clf, method)(Xd)
    assert isinstance(result, da.Array)
    assert result.numblocks[0] == Xd.numblocks[0]
    expected = getattr(clf, method)(X)
    computed = result.compute()
    assert computed.shape == result.shape == expected.shape
    np.testing.assert_array_equal(computed, expected)


def test_bad_input_gets_the_in_memory_errors(client):
    clf = tiny().fit(X[:100], y[:100])
    before = [W.copy() for W in clf.coefs_]
    X_nan = X.copy()
    X_nan[2000, 1] = np.nan
    bad = {
        "NaN in X": (X_nan, y),
        "wrong y length": (X, y[:-1]),
        "1-D X": (X[:, 0], y),
    }
    for what, (X_bad, y_bad) in bad.items():
        with pytest.raises(ValueError) as in_memory:
            tiny().fit(X_bad, y_bad)
        X_dask = da.from_array(X_bad, chunks=1000)
        y_dask = da.from_array(y_bad, chunks=1000)
        with pytest.raises(ValueError) as on_cluster:
            clf.fit(X_dask, y_dask)
        first_line = str(in_memory.value).split(":")[0]
        assert str(on_cluster.value).startswith(first_line), what
    for W, W_before in zip(clf.coefs_, before):
        np.testing.assert_array_equal(W, W_before)  # the failed fits left it


def test_partial_fit_refuses_dask_input(client):
    clf = TinyNetClassifier(solver="gd")
    with pytest.raises(ValueError, match="partial_fit takes in-memory arrays"):
        clf.partial_fit(da.from_array(X), da.from_array(y), classes=[0, 1, 2])


class GatherLog:
    """Records the bytes of every key the scheduler gathers for a client."""

    def __init__(self, scheduler):
        self.scheduler, self.sizes = scheduler, []
        self.original = scheduler.handlers["gather"]

    def __enter__(self):
        def gather(keys, serializers=None):
            tasks = self.scheduler.tasks
            self.sizes.extend(tasks[key].nbytes for key in keys if key in tasks)
            return self.original(keys=keys, serializers=serializers)

        self.scheduler.handlers["gather"] = gather
        return self

    def __exit__(self, *exc_info):
        self.scheduler.handlers["gather"] = self.original


def test_the_client_never_gathers_the_rows(client, cluster):
    n_rows, n_features = 40_000, 20
    rng = da.random.RandomState(0)
    Xd = rng.normal(size=(n_rows, n_features), chunks=(10_000, -1))
    yd = rng.randint(0, 3, size=n_rows, chunks=10_000)
    with GatherLog(cluster.scheduler) as log:
        clf = TinyNetClassifier((8,), max_iter=3, tol=0.0).fit(Xd, yd)
    # a gradient is 4 chunks x 200 parameters x 8 bytes; the rows 6.4 MB
    assert log.sizes and max(log.sizes) < 10_000
    assert sum(log.sizes) < Xd.nbytes / 100
    assert clf.n_iter_ == 3
    with GatherLog(cluster.scheduler) as log:  # the log sees a gathered X
        Xd.compute()
    assert sum(log.sizes) >= Xd.nbytes


@pytest.mark.slow
def test_a_worker_killed_mid_fit_is_recovered(client, monkeypatch):
    Xd = da.from_array(X, chunks=(BLOCK_ROWS, -1))
    yd = da.from_array(y, chunks=BLOCK_ROWS)
    expected = tiny().fit(Xd, yd)
    calls = []
    loss_and_gradient = _dask.DaskEngine.loss_and_gradient

    def kill_a_worker_on_the_third_call(engine, theta):
        calls.append(1)
        if len(calls) == 3:
            worker = sorted(client.scheduler_info()["workers"])[0]
            pid = client.run(os.getpid, workers=[worker])[worker]
            os.kill(pid, signal.SIGKILL)
        return loss_and_gradient(engine, theta)

    monkeypatch.setattr(
        _dask.DaskEngine, "loss_and_gradient", kill_a_worker_on_the_third_call
    )
    before = set(client.scheduler_info()["workers"])
    # lost chunks are recomputed from X's graph: the same model
    assert_same_weights(tiny().fit(Xd, yd), expected)
    assert len(calls) > 3
    client.wait_for_workers(2, timeout=60)
    assert set(client.scheduler_info()["workers"]) != before  # one was replaced


def test_callbacks_see_every_iteration(client):
    callback = pytest.importorskip(
        "sklearn.callback", reason="the callback API needs scikit-learn >= 1.9"
    )
    from test_callbacks import Recorder

    recorder = Recorder(stop_after=4)
    Xd = da.from_array(X, chunks=(BLOCK_ROWS, -1))
    yd = da.from_array(y, chunks=BLOCK_ROWS)
    clf = tiny(max_iter=20).set_callbacks(recorder).fit(Xd, yd)
    assert clf.n_iter_ == 4  # the callback stopped it
    models = [e[2] for e in recorder.events if e[:2] == ("end", "iteration")]
    assert len(models) == 4 and callback is not None
    np.testing.assert_array_equal(models[-1].coefs_[0], clf.coefs_[0])


def test_fitting_without_a_client_says_how_to_start_one(client, monkeypatch):
    def no_client(*args, **kwargs):
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed.Client, "current", no_client)
    with pytest.raises(ValueError, match=r"no Client is running: start one"):
        tiny().fit(da.from_array(X), da.from_array(y))


def test_cross_validation_and_grid_search_on_the_cluster(client):
    joblib = pytest.importorskip("joblib")
    Xs, ys = X[:300], y[:300]
    search = GridSearchCV(
        TinyNetClassifier((4,), max_iter=20, n_jobs=1, random_state=0),
        {"alpha": [1e-3, 1.0]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 20 iterations
        expected = search.fit(Xs, ys).cv_results_["mean_test_score"]
        with joblib.parallel_backend("dask"):
            scores = cross_val_score(search.estimator, Xs, ys, cv=2, n_jobs=-1)
            on_cluster = search.set_params(n_jobs=-1).fit(Xs, ys)
    np.testing.assert_array_equal(on_cluster.cv_results_["mean_test_score"], expected)
    assert scores.shape == (2,)


def test_a_chunk_of_zero_weights_trains_as_in_memory(client):
    # each chunk's weights may all be 0; the sum over all chunks is checked.
    # In memory the rows of zero weight are dropped, so blocks differ:
    # equal to rounding
    weights = np.r_[np.zeros(BLOCK_ROWS), INTEGER_SW[BLOCK_ROWS:]]
    for make, X_fit, y_fit in [FITS["classifier"], FITS["regressor"]]:
        expected = make().fit(X_fit, y_fit, sample_weight=weights)
        fitted = make().fit(
            da.from_array(X_fit, chunks=(BLOCK_ROWS, -1)),
            da.from_array(y_fit, chunks=BLOCK_ROWS),
            sample_weight=da.from_array(weights, chunks=BLOCK_ROWS),
        )
        for W, W_expected in zip(fitted.coefs_, expected.coefs_):
            np.testing.assert_allclose(W, W_expected, rtol=1e-9, atol=1e-12)


def test_growing_sample_draws_the_same_rows_as_in_memory(client):
    # 4 chunks, whose gradients estimate the samples' variance
    Xd = da.from_array(X, chunks=(1024, -1))
    yd = da.from_array(y, chunks=1024)
    params = {"solver": "lbfgs", "growing_sample": 500, "max_iter": 30}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_dask = tiny(**params).fit(Xd, yd)
        in_memory = tiny(**params).fit(X, y)
    sizes = on_dask.sample_size_curve_
    assert sizes[0] == in_memory.sample_size_curve_[0] < sizes[-1] == len(y)
    assert set(sizes) <= set(in_memory.sample_size_curve_) | {len(y)}
