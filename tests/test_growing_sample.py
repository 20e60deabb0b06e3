"""The growing sample: nested samples, the solver's stages, the fit around them."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynet import TinyNetClassifier, TinyNetRegressor, _data, _rows
from sklearn_tinynet._engine import mean_gradient_variance
from sklearn_tinynet._solvers import (
    PROBE_PATIENCE,
    CurvaturePairs,
    minimize_lbfgs,
)


def data(n_rows=6000, n_features=8, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, n_features))
    y = (3 * X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    return X, y


X, y = data()


# --- the samples ---------------------------------------------------------------


def test_sample_keys_depend_on_the_row_alone():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 6)) * (rng.uniform(size=(500, 6)) < 0.5)
    T = rng.randint(0, 3, size=500)
    keys = _data.sample_keys(X, T, seed=7)
    order = rng.permutation(500)
    np.testing.assert_array_equal(_data.sample_keys(X[order], T[order], 7), keys[order])
    np.testing.assert_array_equal(_data.sample_keys(sp.csr_matrix(X), T, 7), keys)
    np.testing.assert_array_equal(_data.sample_keys(X[:200], T[:200], 7), keys[:200])
    assert not np.array_equal(_data.sample_keys(X, T, 8), keys)  # seeded
    assert not np.array_equal(_data.sample_keys(X, (T + 1) % 3, 7), keys)  # y counts
    # uniform in [0, 1): a quarter below 0.25, give or take 4 standard errors
    assert 0 <= keys.min() and keys.max() < 1
    assert abs(np.mean(keys < 0.25) - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 500)


def samples_of(X, y, initial_rows, min_rows=0, weights=None):
    weights = np.full(len(y), 1.0 / len(y)) if weights is None else weights
    rows = _rows.LocalRows((X, y, weights, np.ones(len(y), dtype=np.int64)))
    return _rows._samples(rows, None, None, 1, 0.0, initial_rows, min_rows, seed=3)


def test_samples_come_in_key_order_whatever_the_row_order():
    order = np.lexsort(X.T)  # rows sorted, as canonical rows are
    (sample, _), *_ = samples_of(X[order], y[order], initial_rows=700)
    part = sample.keyed.map(_data.sample_part, low=0.0, high=sample.high).part
    keys = _data.sample_keys(part[0], part[1], seed=3)
    assert np.all(np.diff(keys) > 0)


def rows_of(source):
    keyed = source.keyed.map(_data.sample_part, low=source.low, high=source.high)
    return {tuple(row) for row in keyed.part[0]}


def test_samples_are_nested_doubling_and_at_most_half_the_rows():
    samples = samples_of(X, y, initial_rows=700)
    assert len(samples) == 3  # 700, 1400, 2800; 5600 would pass half of 6000
    sizes = [len(rows_of(sample)) for sample, _ in samples]
    for size, expected in zip(sizes, [700, 1400, 2800]):
        assert abs(size - expected) < 4 * np.sqrt(expected)
    for (smaller, _), (larger, _) in zip(samples, samples[1:]):
        assert rows_of(smaller) < rows_of(larger)
    # each probe: rows of the next sample, none of its own, a quarter its size
    for k, (sample, probe) in enumerate(samples):
        assert not rows_of(probe) & rows_of(sample)
        if k + 1 < len(samples):
            assert rows_of(probe) < rows_of(samples[k + 1][0])
        assert abs(len(rows_of(probe)) / len(rows_of(sample)) - 0.25) < 0.1
    assert [sample.n_rows_seen for sample, _ in samples] == sizes


def test_no_samples_below_min_rows_and_no_zero_weight_rows():
    assert samples_of(X, y, initial_rows=700, min_rows=6001) == []
    assert len(samples_of(X, y, initial_rows=700, min_rows=6000)) == 3
    weights = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.0)
    sample, _ = samples_of(X, y, initial_rows=700, weights=weights)[0]
    kept = rows_of(sample)
    zero = {tuple(row) for row in X[weights == 0]}
    assert kept and not kept & zero


# --- the solver --------------------------------------------------------------


@pytest.mark.parametrize("n_pairs", [1, 4, 7])
@pytest.mark.parametrize("rejected", [False, True])
def test_curvature_pairs_give_the_bfgs_inverse_hessian_of_the_last_pairs(
    n_pairs, rejected
):
    # memory 4: with 7 pairs the first 3 are dropped and rows are reused.
    # Steps follow the pairs' own directions, as in L-BFGS, so that the
    # products carried from step to step (S'grad, Y's) are used.
    rng = np.random.RandomState(0)
    A = rng.normal(size=(5, 5))
    A = A @ A.T + 5 * np.eye(5)  # a convex quadratic's Hessian
    pairs, added = CurvaturePairs(memory=4), []
    grad = rng.normal(size=5)
    for i in range(n_pairs + rejected):
        step = rng.uniform(0.5, 2.0)
        s = step * pairs.direction(grad)
        negative = rejected and i == n_pairs // 2  # curvature s'y < 0: left out
        y = -A @ s if negative else A @ s
        grad = grad + y
        pairs.add_step(step, grad)
        if not negative:
            added.append((s, y))
    kept = added[-4:]
    assert len(pairs) == len(kept)
    for (s, y), (s_kept, y_kept) in zip(pairs.pairs(), kept):
        np.testing.assert_allclose(s, s_kept, rtol=1e-14)
        np.testing.assert_allclose(y, y_kept, rtol=1e-14)
    # the BFGS updates of H0 = gamma I, gamma = s'y / y'y of the last pair
    s_last, y_last = kept[-1]
    H = float(s_last @ y_last) / float(y_last @ y_last) * np.eye(5)
    for s, y in kept:
        rho = 1.0 / float(s @ y)
        V = np.eye(5) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    # the last gradient (products carried) and a new one (products computed)
    for g in (grad, rng.normal(size=5)):
        np.testing.assert_allclose(pairs.direction(g), -H @ g, rtol=1e-10)
    pairs.clear()
    g = 10 * rng.normal(size=5)  # the first trial step is at most 1 long
    np.testing.assert_allclose(pairs.direction(g), -g / np.linalg.norm(g))


def least_squares_stages(n_rows=4000, sizes=(250, 500, 1000)):
    """Stages f(theta) -> (loss, grad, None) of nested row prefixes, then all."""
    rng = np.random.RandomState(1)
    A = rng.normal(size=(n_rows, 6))
    b = A @ rng.normal(size=6) + rng.normal(size=n_rows)
    calls = []

    def stage(n):
        def f(theta):
            calls.append(n)
            r = A[:n] @ theta - b[:n]
            return 0.5 * float(r @ r) / n, A[:n].T @ r / n, None

        return f

    stages = [stage(n) for n in (*sizes, n_rows)]
    solution = np.linalg.lstsq(A, b, rcond=None)[0]
    return stages, solution, calls


def test_stages_run_in_order_and_the_last_stops_at_the_full_batch_optimum():
    stages, solution, calls = least_squares_stages()
    seen = []
    probes = [lambda theta: 0.0] * 3  # never improving: each stage gives way

    theta = np.zeros(6)
    n_iter, status = minimize_lbfgs(
        stages, probes, theta, 200, 1e-10, lambda t, loss, k: seen.append(k)
    )
    assert status == "converged"
    assert seen == sorted(seen) and seen[-1] == 3  # nested, ending on all rows
    assert seen.count(0) == 1 + PROBE_PATIENCE  # a best, then no improvement
    assert calls[-1] == 4000
    # stopped as scipy's L-BFGS-B would: the loss no longer falls
    np.testing.assert_allclose(theta, solution, atol=1e-5)
    assert n_iter == len(seen)


def test_noisy_stages_give_way_at_once_and_max_iter_bounds_all_iterations():
    stages, _, _ = least_squares_stages()

    def noisy(f):
        return lambda theta: (*f(theta)[:2], (np.inf, np.inf))

    stages = [noisy(f) for f in stages[:-1]] + [stages[-1]]
    seen = []
    probes = [lambda theta: -len(seen)] * 3  # always improving
    theta = np.zeros(6)
    n_iter, status = minimize_lbfgs(
        stages, probes, theta, 3, 0.0, lambda t, loss, k: seen.append(k)
    )
    assert seen == [3, 3, 3] and (n_iter, status) == (3, "max_iter")


def test_gradient_variance_of_parts():
    rng = np.random.RandomState(0)
    part_weights = np.array([0.2, 0.3, 0.5])
    means = rng.normal(size=(3, 4))
    part_grads = means * part_weights[:, None]
    along = rng.normal(size=4)
    g = part_grads.sum(axis=0)
    dev = means - g
    on = dev @ along
    expected_along = part_weights @ on**2 / 2
    orthogonal = (dev**2).sum(axis=1) - on**2 / (along @ along)
    got = mean_gradient_variance(part_grads, part_weights, along)
    np.testing.assert_allclose(got, (expected_along, part_weights @ orthogonal / 2))
    assert mean_gradient_variance(part_grads[:1], part_weights[:1], along) is None


# --- the fit -----------------------------------------------------------------


def fit(estimator=TinyNetClassifier, X=X, y=y, **params):
    params = {"hidden_layer_sizes": (16,), "random_state": 0, "max_iter": 300,
              "growing_sample": 500, **params}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator(**params).fit(X, y)


def test_the_fit_ends_on_all_rows_and_records_its_samples():
    clf = fit()
    sizes = clf.sample_size_curve_
    assert len(sizes) == len(clf.loss_curve_) == clf.n_iter_
    assert sizes == sorted(sizes) and sizes[-1] == len(y)
    assert abs(sizes[0] - 500) < 4 * np.sqrt(500) and len(set(sizes)) > 2
    assert clf.t_ == sum(sizes)
    full = fit(growing_sample=None)
    assert full.sample_size_curve_ == [len(y)] * full.n_iter_
    assert clf.score(X, y) > full.score(X, y) - 0.02


def test_auto_grows_only_on_large_sets():
    assert set(fit(growing_sample="auto", max_iter=5).sample_size_curve_) == {len(y)}
    from sklearn_tinynet import _base

    assert _base.GROWING_SAMPLE_MIN_ROWS > len(y)


def test_deterministic_for_any_thread_count():
    a, b, c = fit(n_jobs=1), fit(n_jobs=2), fit(n_jobs=1)
    for W_a, W_b, W_c in zip(a.coefs_, b.coefs_, c.coefs_):
        np.testing.assert_array_equal(W_a, W_b)
        np.testing.assert_array_equal(W_a, W_c)
    assert a.sample_size_curve_ == b.sample_size_curve_


def test_different_seeds_draw_different_samples():
    assert fit(random_state=1).sample_size_curve_ != fit().sample_size_curve_


def test_warm_start_continues_on_all_rows():
    clf = fit(warm_start=True)
    first = list(clf.sample_size_curve_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_params(max_iter=10).fit(X, y)
    assert clf.sample_size_curve_[: len(first)] == first
    assert clf.sample_size_curve_[len(first) :] == [len(y)] * clf.n_iter_


def test_gd_and_early_stopping():
    assert set(fit(solver="gd", max_iter=5).sample_size_curve_) == {len(y)}
    clf = fit(early_stopping=True)
    n_train = round(len(y) * 0.9)
    assert abs(clf.sample_size_curve_[-1] - n_train) < 100
    assert len(clf.validation_loss_curve_) == clf.n_iter_


def test_regressor_grows_too():
    reg = fit(TinyNetRegressor, y=X[:, 0] * X[:, 1] + X[:, 2])
    assert reg.sample_size_curve_[0] < reg.sample_size_curve_[-1] == len(y)
    assert reg.score(X, X[:, 0] * X[:, 1] + X[:, 2]) > 0.9


@pytest.mark.parametrize("bad", [0, -1, "all", 1.5])
def test_bad_growing_sample_is_refused(bad):
    with pytest.raises(ValueError, match="growing_sample"):
        TinyNetClassifier(growing_sample=bad).fit(X[:50], y[:50])
