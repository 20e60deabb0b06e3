"""The command line for a CSV file: cross-validate, save, predict."""

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ._classifier import TinyNetClassifier
from ._compat import STANDARD_SCALER_TYPE


class CommandError(Exception):
    """A problem with the user's input, reported as one line and exit code 2."""


def read_csv(path):
    """Header and rows of a CSV file, as lists of strings."""
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise CommandError(f"{path} has no data rows under its header")
    header, data = rows[0], rows[1:]
    short = [i + 2 for i, row in enumerate(data) if len(row) != len(header)]
    if short:
        raise CommandError(
            f"{path}: line {short[0]} has a different number of fields than the header"
        )
    return header, data


def numeric_columns(header, data, columns, path):
    """The named columns as a float array; names a column that is not numeric."""
    index = [header.index(c) for c in columns]
    X = np.empty((len(data), len(index)))
    for j, (name, i) in enumerate(zip(columns, index)):
        try:
            X[:, j] = [float(row[i]) for row in data]
        except ValueError:
            bad = next(row[i] for row in data if not _is_float(row[i]))
            raise CommandError(
                f"{path}: feature column {name!r} is not numeric (value {bad!r}); "
                "encode it as numbers or drop it"
            ) from None
    return X


def _is_float(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def fit_command(args):
    header, data = read_csv(args.data)
    if args.target not in header:
        raise CommandError(
            f"{args.data}: no column {args.target!r}; columns are {', '.join(header)}"
        )
    features = [c for c in header if c != args.target]
    X = numeric_columns(header, data, features, args.data)
    y = np.array([row[header.index(args.target)] for row in data])
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise CommandError(
            f"{args.data}: column {args.target!r} holds only one class "
            f"({classes[0]!r}); a classifier needs at least two"
        )
    hidden = (
        tuple(int(h) for h in args.hidden.split(",") if h) if args.hidden else (32,)
    )
    model = make_pipeline(
        StandardScaler(), TinyNetClassifier(hidden, random_state=args.random_state)
    )
    n_folds = min(args.cv, int(counts.min()))
    if n_folds < 2:
        raise CommandError(
            f"{args.data}: class {classes[counts.argmin()]!r} has one row; "
            "cross-validation needs at least two rows of every class"
        )
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=args.random_state)
    print(
        f"{len(y)} rows, {len(features)} features, {len(classes)} classes; "
        f"{n_folds}-fold cross-validation",
        file=sys.stderr,
    )
    scores = []
    print(f"{'fold':>4} {'train':>6} {'test':>6} {'accuracy':>9} {'fit s':>7}")
    for fold, (train, test) in enumerate(folds.split(X, y), start=1):
        print(f"  fitting fold {fold}/{n_folds} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        fitted = clone(model).fit(X[train], y[train])
        seconds = time.perf_counter() - start
        scores.append(fitted.score(X[test], y[test]))
        print(
            f"{fold:>4} {len(train):>6} {len(test):>6} {scores[-1]:>9.4f} "
            f"{seconds:>7.2f}",
            flush=True,
        )
    print(f"mean {np.mean(scores):.4f} ± {np.std(scores):.4f}")
    if args.save:
        sio = _skops_io()
        model.fit(X, y)
        model.feature_columns_ = features  # the columns predict reads, in order
        sio.dump(model, args.save)
        print(f"saved the model refitted on all {len(y)} rows to {args.save}")
    return 0


def predict_command(args):
    sio = _skops_io()
    if not Path(args.model).is_file():
        raise CommandError(f"no such file: {args.model}")
    try:
        untrusted = sio.get_untrusted_types(file=args.model)
        model = sio.load(args.model, trusted=_trusted(untrusted))
    except Exception as error:
        raise CommandError(
            f"cannot read {args.model} as a saved model: {error}"
        ) from None
    header, data = read_csv(args.data)
    features = list(getattr(model, "feature_columns_", header))
    missing = [c for c in features if c not in header]
    if missing:
        raise CommandError(f"{args.data}: missing feature columns {missing}")
    X = numeric_columns(header, data, features, args.data)
    predictions = model.predict(X)
    out = open(args.out, "w", newline="") if args.out else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow(["prediction"])
        writer.writerows([p] for p in predictions)
    finally:
        if args.out:
            out.close()
            print(
                f"wrote {len(predictions)} predictions to {args.out}", file=sys.stderr
            )
    return 0


def _trusted(untrusted):
    """Trust only the types the fit command saves; refuse anything else."""
    allowed = {
        "sklearn_tinynet.TinyNetClassifier",
        "sklearn.pipeline.Pipeline",
        STANDARD_SCALER_TYPE,
    }
    unexpected = [t for t in untrusted if t not in allowed]
    if unexpected:
        raise CommandError(
            f"the file holds types this command does not trust: {unexpected}"
        )
    return untrusted


def _skops_io():
    try:
        import skops.io as sio
    except ImportError:
        raise CommandError(
            "saving and loading models needs skops: pip install skops"
        ) from None
    return sio


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_tinynet",
        description="Without a command: the demo. With one: train on or predict "
        "for a CSV file with a header row.",
    )
    commands = parser.add_subparsers(dest="command")
    fit = commands.add_parser("fit", help="cross-validate, then optionally save")
    fit.add_argument("data", help="CSV file with a header row")
    fit.add_argument("--target", required=True, help="the column to predict")
    fit.add_argument("--cv", type=int, default=5, help="folds (default 5)")
    fit.add_argument("--hidden", default="32", help="hidden sizes, e.g. 32,16")
    fit.add_argument("--save", help="save the model refitted on all rows (.skops)")
    fit.add_argument("--random-state", type=int, default=0)
    fit.set_defaults(run=fit_command)
    predict = commands.add_parser("predict", help="predict with a saved model")
    predict.add_argument("model", help="a .skops file saved by the fit command")
    predict.add_argument("data", help="CSV file with the feature columns")
    predict.add_argument("--out", help="write predictions here (default: stdout)")
    predict.set_defaults(run=predict_command)
    return parser


def main(argv):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
