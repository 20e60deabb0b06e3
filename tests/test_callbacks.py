"""scikit-learn's callback API (sklearn.callback, 1.9+): progress and monitoring."""

import copy

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier

callback = pytest.importorskip(
    "sklearn.callback", reason="the callback API needs scikit-learn >= 1.9"
)

X, y = make_classification(n_samples=120, n_features=6, random_state=0)


class Recorder:
    """A FitCallback that records every hook call."""

    def __init__(self, stop_after=None):
        self.events = []
        self.stop_after = stop_after

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def on_fit_task_begin(self, estimator, context, **kwargs):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kw):
        self.events.append(("end", context.task_name, fitted_estimator))
        ends = [e for e in self.events if e[:2] == ("end", "iteration")]
        return self.stop_after is not None and len(ends) >= self.stop_after

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_one_task_per_iteration_with_the_fitted_weights(solver):
    recorder = Recorder()
    clf = TinyNetClassifier((4,), solver=solver, max_iter=15, tol=0.0, random_state=0)
    clf.set_callbacks(recorder).fit(X, y)
    events = recorder.events
    assert events[0] == ("setup", "fit") and events[1] == ("begin", "fit")
    assert events[-2][:2] == ("end", "fit") and events[-1] == ("teardown", "fit")
    iteration_ends = [e for e in events if e[:2] == ("end", "iteration")]
    with_model = [e[2] for e in iteration_ends if e[2] is not None]
    assert len(with_model) == clf.n_iter_
    # every begin has its end
    begins = [e for e in events if e[:2] == ("begin", "iteration")]
    assert len(begins) == len(iteration_ends)
    # the fitted estimator of the last iteration is the final model
    np.testing.assert_allclose(
        with_model[-1].predict_proba(X), clf.predict_proba(X), rtol=1e-12
    )
    # and earlier ones are earlier models, not copies of the final one
    assert not np.allclose(with_model[0].predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_a_callback_can_stop_training(solver):
    clf = TinyNetClassifier((4,), solver=solver, max_iter=100, tol=0.0, random_state=0)
    clf.set_callbacks(Recorder(stop_after=5)).fit(X, y)
    assert clf.n_iter_ == 5


def test_no_callbacks_no_context():
    clf = TinyNetClassifier((4,), random_state=0).fit(X, y)
    assert not hasattr(clf, "_callback_fit_ctx")


def test_scoring_monitor_logs_a_score_per_iteration():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = TinyNetClassifier((4,), solver="gd", max_iter=8, tol=0.0, random_state=0)
    clf.set_callbacks(monitor).fit(X, y)
    log = monitor.get_logs()
    scores = [row["accuracy"] for row in log.data if row["task_name"] == "iteration"]
    assert len(scores) == 8
    assert scores[-1] == pytest.approx(clf.score(X, y))


class PropagatedRecorder(Recorder):
    """Auto-propagated: set on a meta-estimator, it reaches the sub-estimators."""

    max_propagation_depth = None


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_callbacks_on_grid_search_reach_every_iteration(solver):
    recorder = PropagatedRecorder()
    pipe = make_pipeline(
        StandardScaler(),
        TinyNetClassifier((4,), solver=solver, max_iter=5, tol=0.0, random_state=0),
    )
    search = GridSearchCV(pipe, {"tinynetclassifier__alpha": [0.1, 1.0]}, cv=2)
    search.set_callbacks(recorder).fit(X, y)
    models = [
        e[2]
        for e in recorder.events
        if e[:2] == ("end", "iteration") and e[2] is not None
    ]
    assert len(models) == 5 * 5  # 5 iterations in each of 2 x 2 folds and the refit
    assert all(isinstance(m, TinyNetClassifier) for m in models)


def test_progress_bar_on_a_grid_search():
    pytest.importorskip("rich")
    pipe = make_pipeline(StandardScaler(), TinyNetClassifier((4,), random_state=0))
    search = GridSearchCV(pipe, {"tinynetclassifier__alpha": [0.1, 1.0]}, cv=2)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    search.fit(X, y)
    assert search.best_score_ > 0.7


def test_scoring_monitor_inside_grid_search():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    pipe = make_pipeline(
        StandardScaler(),
        TinyNetClassifier(
            (4,), solver="gd", max_iter=6, tol=0.0, random_state=0
        ).set_callbacks(monitor),
    )
    GridSearchCV(pipe, {"tinynetclassifier__alpha": [0.1, 1.0]}, cv=2).fit(X, y)
    rows = [row for log in monitor.get_logs(select="all") for row in log.data]
    iterations = [r for r in rows if r["task_name"] == "iteration"]
    assert len(iterations) == 5 * 6  # 6 iterations in 2 x 2 folds and the refit
    assert all(0 <= r["accuracy"] <= 1 for r in iterations)


class TaskRecorder:
    """Records each task's name, its bound on subtasks and the model it sees."""

    def __init__(self):
        self.seen, self.estimators = [], []

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.seen.append(("begin", context.task_name, context, fitted_estimator))
        self.estimators.append(estimator)

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.seen.append(("end", context.task_name, context, fitted_estimator))
        self.estimators.append(estimator)

    def teardown(self, estimator, context):
        pass


@pytest.mark.parametrize("solver, extra", [("gd", 0), ("lbfgs", 1)])
def test_tasks_carry_their_bounds_and_models(solver, extra):
    recorder = TaskRecorder()
    clf = TinyNetClassifier((4,), solver=solver, max_iter=6, tol=0.0, random_state=0)
    clf.set_callbacks(recorder).fit(X, y)
    fit_begin, fit_end = recorder.seen[0], recorder.seen[-1]
    assert fit_begin[:2] == ("begin", "fit") and fit_end[:2] == ("end", "fit")
    # lbfgs begins one more iteration than it runs: scipy ends each one
    assert fit_begin[2].max_subtasks == 6 + extra
    np.testing.assert_array_equal(fit_end[3].predict_proba(X), clf.predict_proba(X))
    begins = [s for s in recorder.seen if s[:2] == ("begin", "iteration")]
    assert all(s[3] is not None for s in begins)
    assert all(estimator is clf for estimator in recorder.estimators)


class FailingTeardown(Recorder):
    """Raises in teardown, which scikit-learn calls after fit has returned."""

    def teardown(self, estimator, context):
        raise RuntimeError("teardown failed")


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_an_error_in_teardown_leaves_the_estimator_as_it_was(method):
    clf = TinyNetClassifier((4,), solver="gd", max_iter=5, tol=0.0, random_state=0)
    clf.set_params(warm_start=True).fit(X, y)
    before = dict(vars(clf))
    coefs = [W.copy() for W in clf.coefs_]
    clf.set_callbacks(FailingTeardown())
    with pytest.raises(RuntimeError, match="teardown failed"):
        getattr(clf, method)(X, y)
    assert vars(clf).keys() - {"_skl_callbacks"} == before.keys()
    assert all(vars(clf)[key] is value for key, value in before.items())
    for W, W_before in zip(clf.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    # and an unfitted estimator stays unfitted
    fresh = TinyNetClassifier((4,), max_iter=5, random_state=0)
    fresh.set_callbacks(FailingTeardown())
    with pytest.raises(RuntimeError, match="teardown failed"):
        fresh.fit(X, y)
    assert not hasattr(fresh, "coefs_") and not hasattr(fresh, "n_features_in_")


def test_scoring_monitor_scores_the_regressor_in_y_units():
    # the model each iteration hands over predicts y itself (the
    # standardisation folded in): its R² is the fitted model's
    from sklearn_tinynet import TinyNetRegressor

    target = X @ np.arange(6.0) * 100 + 1000
    monitor = callback.ScoringMonitor(scoring="r2")
    reg = TinyNetRegressor((4,), max_iter=8, tol=0.0, random_state=0)
    reg.set_callbacks(monitor).fit(X, target)
    scores = [
        row["r2"] for row in monitor.get_logs().data if row["task_name"] == "iteration"
    ]
    assert len(scores) == 8  # one per iteration
    assert scores[-1] == pytest.approx(reg.score(X, target))
    assert scores[-1] > 0.9


class SnapshotKeeper(Recorder):
    """Keeps every iteration's fitted estimator, and a deep copy of its state."""

    def __init__(self):
        super().__init__()
        self.snapshots = []

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "iteration" and fitted_estimator is not None:
            state = {
                name: value
                for name, value in vars(fitted_estimator).items()
                if name.endswith("_") or name == "_velocity"
            }
            self.snapshots.append((fitted_estimator, copy.deepcopy(state)))


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_kept_snapshots_are_the_model_so_far_and_never_change(solver, early_stopping):
    # scikit-learn builds each fitted_estimator as a shallow copy of the
    # estimator: its fitted attributes are those of the iteration, copies
    # that neither the rest of this fit nor the next one changes
    keeper = SnapshotKeeper()
    clf = TinyNetClassifier(
        (4,), solver=solver, max_iter=5, tol=0.0, warm_start=True,
        early_stopping=early_stopping, momentum=0.9, random_state=0,
    ).set_callbacks(keeper)  # fmt: skip
    clf.fit(X, y)
    clf.fit(X, y)  # a warm start: the curves go on
    snapshots = keeper.snapshots
    assert [s.n_iter_ for s, _ in snapshots] == [1, 2, 3, 4, 5] * 2
    assert [len(s.loss_curve_) for s, _ in snapshots] == list(range(1, 11))
    for snapshot, _ in snapshots:
        assert snapshot.loss_curve_ == clf.loss_curve_[: len(snapshot.loss_curve_)]
        if early_stopping:
            n = len(snapshot.loss_curve_)
            assert snapshot.validation_loss_curve_ == clf.validation_loss_curve_[:n]
        else:
            assert snapshot.validation_loss_curve_ is None
    for snapshot, state in snapshots:
        for name, value in state.items():
            if isinstance(value, list):  # loss_curve_, coefs_, intercepts_
                assert len(getattr(snapshot, name)) == len(value), name
                for now, then in zip(getattr(snapshot, name), value):
                    np.testing.assert_array_equal(now, then, err_msg=name)
            else:
                np.testing.assert_array_equal(getattr(snapshot, name), value, name)
    # the last iteration's snapshot is the fitted model, whose weights are
    # those of the best validation loss with early stopping
    last = snapshots[-1][0]
    assert last.loss_curve_ == clf.loss_curve_ and last.t_ == clf.t_
    if not early_stopping:
        np.testing.assert_array_equal(last.predict_proba(X), clf.predict_proba(X))


def test_kept_snapshots_keep_their_momentum():
    keeper = SnapshotKeeper()
    clf = TinyNetClassifier((4,), solver="gd", momentum=0.9, random_state=0)
    clf.set_callbacks(keeper)
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1])
    velocities = [state["_velocity"] for _, state in keeper.snapshots]
    assert len(velocities) == 3 and not np.array_equal(velocities[0], velocities[1])
    for (snapshot, _), velocity in zip(keeper.snapshots, velocities):
        np.testing.assert_array_equal(snapshot._velocity, velocity)
