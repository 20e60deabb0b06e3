"""R² and fit time of TinyNetRegressor's defaults against MLPRegressor().

Five data sets, each estimator in a ``make_pipeline(StandardScaler(), model)``
(the scaler standardises X only: ``MLPRegressor()`` trains on y as it is,
``TinyNetRegressor`` standardises y internally):

- ``diabetes``: scikit-learn's bundled ``load_diabetes``, 442 x 10;
- ``friedman1``: ``make_friedman1(2000, noise=1, random_state=0)``, 10
  features of which 5 matter;
- ``tanh_3_outputs``: ``make_regression(2000, n_features=20,
  n_informative=10, n_targets=3, noise=10, random_state=0)`` with each target
  passed through ``100 * tanh(y / 100)``. The raw targets' standard deviation
  is about 180, so the tanh bends most rows and saturates the tails: a linear
  model cannot fit it, a network with a hidden layer can;
- ``sine_200``: 200 rows of ``100 + 20 sin(2x) + N(0, 4**2)``, x uniform in
  [-3, 3]: a smooth curve on few rows, the case the default penalty
  flattens (``alpha=0.1`` follows it: see the gallery's regression example);
- ``friedman1_200k``: ``make_friedman1(200_000, noise=1, random_state=1)``
  (``--large-rows``), the one set of 1e5 rows or more.

The small sets are scored by 5-fold ``KFold(shuffle=True, random_state=0)``
cross-validation: mean R² (for several outputs, R² averaged uniformly over
them), and the total time of the 5 fits. The large set is split once, 80 % /
20 % (``random_state=0``): R² on the held-out rows, and the time of the one
fit. Times are the median of interleaved repeats (``--repeats``, default 3;
``--large-repeats``, default 1), of ``fit`` alone (scoring and the pipeline's
construction are left out). The scores do not depend on the repeat: every
model has ``random_state=0``.

A ``ConvergenceWarning`` is caught and counted: a table's ``warnings`` column
is the number of fits that raised one, out of the fits of one repeat
(``MLPRegressor()`` stops at ``max_iter=200`` epochs on some sets). The
first message of each is kept in the JSON. Other warnings are shown as usual.

Modes:

- the default compares ``TinyNetRegressor(random_state=0)``, whatever its
  current defaults, with ``MLPRegressor(random_state=0)`` on every set:
  ``results/bench_regression.json`` and ``.png``;
- ``--choose`` runs a grid of candidates for the defaults, ``alpha`` in
  {1e-4, 0.1, 0.3, 1, 3} x ``activation`` in {'logistic', 'tanh', 'relu'}
  (``--alphas``, ``--activations``), the other parameters at their
  defaults, with ``MLPRegressor()`` interleaved, and ranks them by the worst
  and the mean R² gap to it: ``results/bench_regression_candidates.json`` and
  ``.png``. Its repeats default to 1: the choice is by R², which one run
  gives exactly; pass ``--repeats 3`` for steadier times.

- ``--raw-y`` is the ablation of the targets' standardisation: the defaults
  against the same model trained on y as given (``RawTargetsRegressor``),
  with ``MLPRegressor()`` interleaved, ranked as ``--choose`` ranks:
  ``results/bench_regression_raw_y.json`` and ``.png``.

The plots are skipped, with a note, if matplotlib cannot be imported.

    python benchmarks/bench_regression.py --quick            # sets under 1e5 rows
    python benchmarks/bench_regression.py                    # all five sets
    python benchmarks/bench_regression.py --choose --quick   # the grid, small sets
    python benchmarks/bench_regression.py --choose           # the grid, all sets
"""

import argparse
import time
import warnings

import numpy as np
from _common import RESULTS, median_times, print_table, write_json
from sklearn import datasets as skd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetRegressor

BASELINE = "MLPRegressor()"
DEFAULT = "TinyNetRegressor()"
ALPHAS = (1e-4, 0.1, 0.3, 1.0, 3.0)
ACTIVATIONS = ("logistic", "tanh", "relu")
LARGE = 100_000  # rows: held-out split, --large-repeats, skipped by --quick


def tanh_3_outputs():
    """Three targets, each a linear model of 10 of 20 features bent by tanh."""
    X, y = skd.make_regression(
        n_samples=2000,
        n_features=20,
        n_informative=10,
        n_targets=3,
        noise=10,
        random_state=0,
    )
    return X, 100 * np.tanh(y / 100)


def sine_200():
    """A smooth curve of one input on 200 rows, with noise."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-3, 3, size=(200, 1))
    return X, 100 + 20 * np.sin(2 * X[:, 0]) + rng.normal(scale=4, size=200)


class RawTargetsRegressor(TinyNetRegressor):
    """TinyNetRegressor trained on y as given, for the ablation ``--raw-y``.

    Replaces the estimator's private hook that standardises the targets by
    offset 0 and scale 1; everything else is TinyNetRegressor's own.
    """

    def _scaled_targets(self, rows, model, new_scale):
        n_outputs = model["n_outputs_"]
        unscaled = {"_y_offset": (0.0,) * n_outputs, "_y_scale": (1.0,) * n_outputs}
        return rows, {**model, **unscaled}


def regression_datasets(large_rows):
    """name -> zero-argument loader of (X, y), by size."""
    return {
        "diabetes": lambda: skd.load_diabetes(return_X_y=True),
        "friedman1": lambda: skd.make_friedman1(2000, noise=1.0, random_state=0),
        "tanh_3_outputs": tanh_3_outputs,
        "sine_200": sine_200,
        f"friedman1_{large_rows // 1000}k": lambda: skd.make_friedman1(
            large_rows, noise=1.0, random_state=1
        ),
    }


def is_large(name, n_rows, large_rows):
    # by name too, so that a small --large-rows tries the large set's path
    return n_rows >= LARGE or name == f"friedman1_{large_rows // 1000}k"


def splits(n_rows, large):
    """The folds (train, test) and how they are scored."""
    if large:
        train, test = train_test_split(np.arange(n_rows), test_size=0.2, random_state=0)
        return [(train, test)], "held-out 20 %"
    folds = KFold(5, shuffle=True, random_state=0).split(np.arange(n_rows))
    return list(folds), "5-fold CV"


def fit_counting(model, X, y):
    """Fit ``model``; return the ConvergenceWarnings it raised.

    Each is recorded, none is lost to Python's once-per-line filter; any
    other warning is shown again as it would have been.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return convergence


def evaluate(estimator, X, y, folds):
    """Mean R², total fit time and the fits that warned, over the folds."""
    scores, fit_time, warned, first = [], 0.0, 0, None
    for train, test in folds:
        model = make_pipeline(StandardScaler(), clone(estimator))
        start = time.perf_counter()
        caught = fit_counting(model, X[train], y[train])
        fit_time += time.perf_counter() - start
        if caught:
            warned += 1
            first = first or str(caught[0].message)
        scores.append(model.score(X[test], y[test]))
    return {
        "r2": float(np.mean(scores)),
        "fit_s": fit_time,
        "warned": warned,
        "message": first,
    }


def run_dataset(data_name, X, y, estimators, repeats, large):
    """One row per estimator; the estimators' repeats interleaved."""
    folds, evaluation = splits(len(y), large)
    runs = {name: [] for name in estimators}

    def run(name):
        return lambda: runs[name].append(evaluate(estimators[name], X, y, folds))

    wall = median_times({name: run(name) for name in estimators}, repeats)
    rows = []
    for name, results in runs.items():
        last = results[-1]
        rows.append(
            {
                "dataset": data_name,
                "n_samples": int(X.shape[0]),
                "n_features": int(X.shape[1]),
                "n_outputs": 1 if y.ndim == 1 else int(y.shape[1]),
                "evaluation": evaluation,
                "estimator": name,
                "params": params_of(estimators[name]),
                "r2": last["r2"],
                "fit_time_s": float(np.median([r["fit_s"] for r in results])),
                "fit_times_s": [r["fit_s"] for r in results],
                "wall_time_s": wall[name],
                "warned_fits": last["warned"],
                "n_fits": len(folds),
                "warning": last["message"],
            }
        )
    base = next(r for r in rows if r["estimator"] == BASELINE)
    for r in rows:
        r["r2_gap"] = r["r2"] - base["r2"]
        r["time_over_mlp"] = r["fit_time_s"] / base["fit_time_s"]
    return rows


def params_of(estimator):
    if isinstance(estimator, TinyNetRegressor):
        return {"alpha": estimator.alpha, "activation": estimator.activation}
    return {}


def candidates(alphas, activations):
    """label -> TinyNetRegressor of the grid; the current defaults marked."""
    current = TinyNetRegressor().get_params()
    grid = {}
    for activation in activations:
        for alpha in alphas:
            label = f"{activation}, alpha={alpha:g}"
            if (alpha, activation) == (current["alpha"], current["activation"]):
                label += " (current)"
            grid[label] = TinyNetRegressor(
                alpha=alpha, activation=activation, random_state=0
            )
    return grid


# --- tables ------------------------------------------------------------------


def seconds(t):
    return f"{t:.2f} s" if t < 100 else f"{t:.0f} s"


def r2_time(row):
    return f"{row['r2']:.4f} ({seconds(row['fit_time_s'])})"


def comparison_table(rows):
    """The default mode's table: one line per data set."""
    table = []
    for data_name in dict.fromkeys(r["dataset"] for r in rows):
        ours, base = (
            next(r for r in rows if r["dataset"] == data_name and r["estimator"] == e)
            for e in (DEFAULT, BASELINE)
        )
        table.append(
            {
                "data set": data_name,
                "rows × features, outputs": (
                    f"{ours['n_samples']:,} × {ours['n_features']}, {ours['n_outputs']}"
                ),
                "scored by": ours["evaluation"],
                "TinyNet R² (time)": r2_time(ours),
                "MLP R² (time)": r2_time(base),
                "R² gap": f"{ours['r2_gap']:+.4f}",
                "time / MLP's": f"{ours['time_over_mlp']:.2f}",
                "warnings TinyNet, MLP": (
                    f"{ours['warned_fits']}/{ours['n_fits']}, "
                    f"{base['warned_fits']}/{base['n_fits']}"
                ),
            }
        )
    return table


def per_set_table(rows):
    """Progress of the choose mode: every estimator on one data set."""
    return [
        {
            "estimator": r["estimator"],
            "R²": f"{r['r2']:.4f}",
            "R² gap": f"{r['r2_gap']:+.4f}",
            "fit time": seconds(r["fit_time_s"]),
            "time / MLP's": f"{r['time_over_mlp']:.2f}",
            "warnings": f"{r['warned_fits']}/{r['n_fits']}",
        }
        for r in rows
    ]


def summarise(rows, names):
    """Per estimator: R² gaps to MLP per set, their mean and worst, time ratio."""
    base = [r for r in rows if r["estimator"] == BASELINE]
    summary = []
    for name in names:
        ours = [r for r in rows if r["estimator"] == name]
        gaps = {r["dataset"]: r["r2_gap"] for r in ours}
        worst = min(gaps, key=gaps.get)
        total = sum(r["fit_time_s"] for r in ours)
        summary.append(
            {
                "estimator": name,
                "params": ours[0]["params"],
                "gaps": gaps,
                "mean_gap": float(np.mean(list(gaps.values()))),
                "worst_gap": gaps[worst],
                "worst_dataset": worst,
                "total_fit_time_s": total,
                "time_over_mlp": total / sum(r["fit_time_s"] for r in base),
                "warned_fits": sum(r["warned_fits"] for r in ours),
                "n_fits": sum(r["n_fits"] for r in ours),
            }
        )
    return summary


def summary_table(summary):
    return [
        {
            "candidate": s["estimator"],
            **{name: f"{gap:+.4f}" for name, gap in s["gaps"].items()},
            "mean gap": f"{s['mean_gap']:+.4f}",
            "worst gap (set)": f"{s['worst_gap']:+.4f} ({s['worst_dataset']})",
            "time / MLP's": f"{s['time_over_mlp']:.2f}",
            "warnings": f"{s['warned_fits']}/{s['n_fits']}",
        }
        for s in summary
    ]


# --- main ----------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--choose", action="store_true", help="run the grid of candidate defaults"
    )
    parser.add_argument("--quick", action="store_true", help="sets under 1e5 rows")
    parser.add_argument(
        "--repeats", type=int, default=None, help="3, or 1 with --choose"
    )
    parser.add_argument("--large-repeats", type=int, default=1)
    parser.add_argument("--large-rows", type=int, default=200_000)
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--alphas", type=float, nargs="+", default=list(ALPHAS))
    parser.add_argument("--activations", nargs="+", default=list(ACTIVATIONS))
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument(
        "--raw-y", action="store_true", help="the ablation of standardised y"
    )
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 1 if args.choose else 3
    if args.raw_y:
        args.choose = True  # two candidates, ranked as the grid's
        ours = {
            "standardised y (default)": TinyNetRegressor(random_state=0),
            "y as given": RawTargetsRegressor(random_state=0),
        }
        estimators = {BASELINE: MLPRegressor(random_state=0), **ours}
        name = "bench_regression_raw_y"
    elif args.choose:
        ours = candidates(args.alphas, args.activations)
        estimators = {BASELINE: MLPRegressor(random_state=0), **ours}
        name = "bench_regression_candidates"
    else:
        ours = {DEFAULT: TinyNetRegressor(random_state=0)}
        estimators = {**ours, BASELINE: MLPRegressor(random_state=0)}
        name = "bench_regression"
    loaders = regression_datasets(args.large_rows)
    start = time.perf_counter()
    rows = []
    for data_name in args.datasets or list(loaders):
        X, y = loaders[data_name]()
        large = is_large(data_name, len(y), args.large_rows)
        if args.quick and large:
            continue
        repeats = args.large_repeats if large else args.repeats
        set_rows = run_dataset(data_name, X, y, estimators, repeats, large)
        rows += set_rows
        print(f"\n{data_name}: {len(y):,} rows, {repeats} repeat(s)")
        if args.choose:
            table = per_set_table(set_rows)
            print_table(table, list(table[0]))
        else:
            table = comparison_table(set_rows)
            print_table(table, list(table[0]))
        # written after each data set: an interrupted run keeps what it measured
        summary = summarise(rows, list(ours))
        path = write_json(name, {"args": vars(args), "rows": rows, "summary": summary})
    elapsed = time.perf_counter() - start
    print(f"\nAgainst {BASELINE}: R² gap = TinyNet's R² - MLP's; time = fit time")
    if args.choose:
        report_choice(rows, summary)
    else:
        table = comparison_table(rows)
        print_table(table, list(table[0]))
        s = summary[0]
        print(
            f"total fit time / MLP's: {s['time_over_mlp']:.2f} "
            f"({s['total_fit_time_s']:.1f} s against "
            f"{s['total_fit_time_s'] / s['time_over_mlp']:.1f} s); "
            f"worst R² gap: {s['worst_gap']:+.4f} ({s['worst_dataset']}); "
            f"mean R² gap: {s['mean_gap']:+.4f}"
        )
    print(f"wrote {path} ({elapsed:.0f} s of benchmark)")
    if not args.no_plot:
        plot(rows, summary, name, args.choose)


def report_choice(rows, summary):
    mlp = {r["dataset"]: r for r in rows if r["estimator"] == BASELINE}
    print(
        "MLPRegressor(): "
        + "; ".join(
            f"{d} R² {r['r2']:.4f} in {seconds(r['fit_time_s'])}, "
            f"warnings {r['warned_fits']}/{r['n_fits']}"
            for d, r in mlp.items()
        )
    )
    table = summary_table(summary)
    print_table(table, list(table[0]))
    for key, other in (("worst_gap", "mean_gap"), ("mean_gap", "worst_gap")):
        print(f"best by the {key.replace('_', ' ')}:")
        ranked = sorted(summary, key=lambda s: s[key], reverse=True)[:3]
        for i, s in enumerate(ranked, 1):
            print(
                f"  {i}. {s['estimator']}: {key.split('_')[0]} {s[key]:+.5f}, "
                f"{other.split('_')[0]} {s[other]:+.5f}"
                + (f" ({s['worst_dataset']})" if key == "worst_gap" else "")
            )


def plot(rows, summary, name, choose):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not importable: no plot")
        return
    if choose:
        labels = [s["estimator"] for s in summary]
        sets = list(summary[0]["gaps"])
        fig, ax = plt.subplots(figsize=(10, 0.35 * len(labels) * len(sets) + 1.5))
        height = 0.8 / len(sets)
        ys = np.arange(len(labels))
        for i, data_name in enumerate(sets):
            ax.barh(
                ys + i * height,
                [s["gaps"][data_name] for s in summary],
                height,
                label=data_name,
            )
        ax.set_yticks(ys + 0.4 - height / 2, labels, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(f"R² gap to {BASELINE} (TinyNet - MLP)")
        ax.set_title("candidate defaults of TinyNetRegressor")
        ax.legend(fontsize=8)
    else:
        sets = list(dict.fromkeys(r["dataset"] for r in rows))
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        xs = np.arange(len(sets))
        for i, estimator in enumerate((DEFAULT, BASELINE)):
            ours = [r for r in rows if r["estimator"] == estimator]
            left.bar(
                xs + (i - 0.5) * 0.4, [r["r2"] for r in ours], 0.4, label=estimator
            )
        left.set_xticks(xs, sets, fontsize=8)
        left.axhline(0, color="black", linewidth=0.8)
        left.set_ylabel("R²: 5-fold CV, or held-out 20 %")
        left.legend(fontsize=8)
        ratios = [r["time_over_mlp"] for r in rows if r["estimator"] == DEFAULT]
        right.bar(xs, ratios, 0.5)
        right.axhline(1, color="black", linewidth=0.8)
        right.set_xticks(xs, sets, fontsize=8)
        right.set_yscale("log")
        right.set_ylabel(f"fit time / {BASELINE}'s")
    fig.tight_layout()
    path = RESULTS / f"{name}.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
