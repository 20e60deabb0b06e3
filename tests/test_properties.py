"""Property tests: random shapes, scales and dtypes fit cleanly or say why."""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sklearn_tinynet import TinyNetClassifier


@st.composite
def classification_problems(draw):
    n_features = draw(st.integers(1, 50))
    n_samples = draw(st.integers(2, 200))
    n_classes = draw(st.integers(2, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**31 - 1))
    log_scale = draw(st.floats(-8, 8))
    offset = draw(st.floats(-1e4, 1e4))
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features)) * 10.0**log_scale + offset
    y = rng.randint(0, n_classes, size=n_samples)
    solver = draw(st.sampled_from(["lbfgs", "gd"]))
    hidden = draw(st.sampled_from([(), (3,), (8, 4)]))
    return X.astype(dtype), y, solver, hidden


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(classification_problems())
def test_fit_succeeds_with_normalised_probabilities_or_raises_value_error(problem):
    X, y, solver, hidden = problem
    clf = TinyNetClassifier(hidden, solver=solver, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning but ConvergenceWarning fails
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            clf.fit(X, y)
        except ValueError:
            assert len(np.unique(y)) < 2  # the one ValueError valid data can get
            return
        proba = clf.predict_proba(X)
        predicted = clf.predict(X)
    assert proba.shape == (len(X), len(np.unique(y)))
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-4)
    assert set(predicted) <= set(clf.classes_)
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
