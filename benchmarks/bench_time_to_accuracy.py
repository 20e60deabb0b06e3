"""Held-out accuracy against fit time on the largest generated data sets.

For each data set (80 % training rows, 20 % held out, StandardScaler fitted on
the training rows beforehand, the same for all), in one process:

- ``TinyNetClassifier()`` with its defaults (a growing sample above 200,000
  rows), with ``growing_sample=None`` (all rows from the first iteration, the
  defaults of 0.2), the old defaults and ``solver='gd'`` (momentum 0.9): one
  fit each, recording the model after every iteration with
  a scikit-learn callback (>= 1.9) and scoring it after the fit, so scoring
  is left out of the times;
- ``MLPClassifier()`` (adam): one ``partial_fit`` per epoch, which is what its
  ``fit`` runs, until MLP's own rule (training loss not better by ``tol`` for
  more than ``n_iter_no_change`` epochs) would stop it; that point is
  ``MLPClassifier()``'s result;
- ``MLPClassifier(solver='lbfgs')``: one fit, recording the weights at each
  L-BFGS iteration through scipy's callback.

Reported: the time at which each curve first reaches ``MLPClassifier()``'s final
accuracy, and its ratio to ``MLPClassifier()``'s fit time. One run; times are
cumulative fit times.

    python benchmarks/bench_time_to_accuracy.py            # clusters_5e5
    python benchmarks/bench_time_to_accuracy.py --quick    # 1e5 rows of it
"""

import argparse
import copy
import time
from unittest import mock

import numpy as np
import scipy.optimize
from _common import RESULTS, datasets, print_table, quietly, write_json
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier

OLD_DEFAULTS = {
    "hidden_layer_sizes": (32,),
    "alpha": 0.5,
    "max_iter": 200,
    "tol": 1e-4,
    "init": "glorot_uniform",
    "growing_sample": None,
}
MAX_SCORED = 80  # models scored per curve, spread evenly over its iterations


class Snapshots:
    """A FitCallback keeping (seconds since fit began, model) after each iteration."""

    def __init__(self):
        self.start, self.points = None, []

    def setup(self, estimator, context):
        self.start = time.perf_counter()

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kw):
        if context.task_name == "iteration" and fitted_estimator is not None:
            self.points.append((time.perf_counter() - self.start, fitted_estimator))
        return False

    def teardown(self, estimator, context):
        pass


def scored(points, X_test, y_test):
    """Curve of (time, accuracy, iteration) from a list of (time, model)."""
    keep = np.unique(np.linspace(0, len(points) - 1, MAX_SCORED).round().astype(int))
    return {
        "iteration": [int(i) + 1 for i in keep],
        "time_s": [points[i][0] for i in keep],
        "accuracy": [float(points[i][1].score(X_test, y_test)) for i in keep],
    }


def tinynet_curve(params, X, y, X_test, y_test):
    snapshots = Snapshots()
    clf = TinyNetClassifier(random_state=0, **params).set_callbacks(snapshots)
    start = time.perf_counter()
    quietly(clf.fit, X, y)
    fit_time = time.perf_counter() - start
    curve = scored(snapshots.points, X_test, y_test)
    curve.update(fit_time_s=fit_time, final_accuracy=float(clf.score(X_test, y_test)))
    return curve


def mlp_adam_curve(X, y, X_test, y_test, max_epochs):
    """MLPClassifier() epoch by epoch, stopped where its fit would stop."""
    mlp = MLPClassifier(random_state=0)
    classes = np.unique(y)
    curve = {"iteration": [], "time_s": [], "accuracy": []}
    elapsed, best, no_improvement = 0.0, np.inf, 0
    for epoch in range(1, max_epochs + 1):
        start = time.perf_counter()
        quietly(mlp.partial_fit, X, y, classes=classes)
        elapsed += time.perf_counter() - start
        curve["iteration"].append(epoch)
        curve["time_s"].append(elapsed)
        curve["accuracy"].append(float(mlp.score(X_test, y_test)))
        # MLP's rule (_update_no_improvement_count without early stopping)
        loss = mlp.loss_curve_[-1]
        no_improvement = no_improvement + 1 if loss > best - mlp.tol else 0
        best = min(best, loss)
        if no_improvement > mlp.n_iter_no_change:
            break
    curve.update(fit_time_s=elapsed, final_accuracy=curve["accuracy"][-1])
    return curve


def mlp_lbfgs_curve(X, y, X_test, y_test):
    """MLPClassifier(solver='lbfgs'), its weights recorded at each iteration."""
    mlp = MLPClassifier(solver="lbfgs", random_state=0)
    points, minimize = [], scipy.optimize.minimize
    start = time.perf_counter()

    def record(intermediate_result):
        points.append((time.perf_counter() - start, intermediate_result.x.copy()))

    def minimize_recording(*args, **kwargs):
        return minimize(*args, callback=record, **kwargs)

    with mock.patch.object(scipy.optimize, "minimize", minimize_recording):
        quietly(mlp.fit, X, y)
    fit_time = time.perf_counter() - start

    def model(packed):
        snapshot = copy.deepcopy(mlp)
        snapshot._unpack(packed)  # private: the flat vector to coefs_, intercepts_
        return snapshot

    curve = scored([(t, model(x)) for t, x in points], X_test, y_test)
    curve.update(fit_time_s=fit_time, final_accuracy=float(mlp.score(X_test, y_test)))
    return curve


def first_time_at(curve, accuracy):
    reached = [t for t, a in zip(curve["time_s"], curve["accuracy"]) if a >= accuracy]
    return reached[0] if reached else None


def load(name, n_rows):
    X, y = datasets()[name]()
    if n_rows is not None:
        X, y = X[:n_rows], y[:n_rows]
    X, X_test, y, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y, scaler.transform(X_test), y_test


TINYNET = {
    "TinyNetClassifier()": {},
    "TinyNet, growing_sample=None": {"growing_sample": None},
    "TinyNet, 0.1.0 defaults": OLD_DEFAULTS,
    "TinyNet, solver='gd'": {"solver": "gd", "max_iter": 300, "tol": 0.0},
}


def run_dataset(name, n_rows, max_epochs, without):
    X, y, X_test, y_test = load(name, n_rows)
    defaults = TinyNetClassifier().get_params()
    curves = {}
    for label, params in TINYNET.items():
        if label not in without:
            curves[label] = tinynet_curve(params, X, y, X_test, y_test)
            print(f"{name}: {label} done", flush=True)
    curves["MLPClassifier()"] = mlp_adam_curve(X, y, X_test, y_test, max_epochs)
    print(f"{name}: MLPClassifier() done", flush=True)
    if "MLPClassifier(solver='lbfgs')" not in without:
        curves["MLPClassifier(solver='lbfgs')"] = mlp_lbfgs_curve(X, y, X_test, y_test)
    target = curves["MLPClassifier()"]["final_accuracy"]
    mlp_time = curves["MLPClassifier()"]["fit_time_s"]
    summary = []
    for label, curve in curves.items():
        reached = first_time_at(curve, target)
        summary.append(
            {
                "dataset": name,
                "estimator": label,
                "final_accuracy": curve["final_accuracy"],
                "fit_time_s": curve["fit_time_s"],
                "time_to_mlp_accuracy_s": reached,
                "over_mlp_time": None if reached is None else reached / mlp_time,
            }
        )
    return {
        "dataset": name,
        "n_train": len(y),
        "n_test": len(y_test),
        "n_features": X.shape[1],
        "n_classes": len(np.unique(y)),
        "tinynet_defaults": {k: repr(v) for k, v in defaults.items()},
        "mlp_final_accuracy": target,
        "mlp_fit_time_s": mlp_time,
        "curves": curves,
        "summary": summary,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["clusters_5e5"])
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--max-epochs", type=int, default=200)
    parser.add_argument(
        "--without", nargs="+", default=[], help="curves to leave out, by label"
    )
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    n_rows = 100_000 if args.quick else None
    results = [
        run_dataset(name, n_rows, args.max_epochs, args.without)
        for name in args.datasets
    ]
    summary = [row for result in results for row in result["summary"]]
    print_table(summary, list(summary[0]))
    path = write_json("time_to_accuracy", {"args": vars(args), "datasets": results})
    print(f"wrote {path}")
    if not args.no_plot:
        plot(results)


def plot(results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(7 * len(results), 4.5))
    for ax, result in zip(np.atleast_1d(axes), results):
        for label, curve in result["curves"].items():
            ax.plot(curve["time_s"], curve["accuracy"], label=label)
        ax.axhline(result["mlp_final_accuracy"], color="grey", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_ylim(max(0.5, result["mlp_final_accuracy"] - 0.2), None)
        ax.set_title(f"{result['dataset']}: {result['n_train']:,} training rows")
        ax.set_xlabel("fit time (s)")
        ax.set_ylabel("held-out accuracy")
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(RESULTS / "time_to_accuracy.png", dpi=100)
    print(f"wrote {RESULTS / 'time_to_accuracy.png'}")


if __name__ == "__main__":
    main()
