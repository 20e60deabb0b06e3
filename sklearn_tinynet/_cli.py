"""The command line for a CSV file: cross-validate, save, predict."""

import argparse
import codecs
import os
import sys
import tempfile
import time
import warnings
from collections import Counter
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ._classifier import TinyNetClassifier
from ._regressor import TinyNetRegressor

PROG = "python -m sklearn_tinynet"
INSTALL = 'pip install "sklearn-tinynet[cli]"'
# task -> step names of the pipeline fit --save writes; predict loads only these
STEPS = {
    "classification": ("standardscaler", "tinynetclassifier"),
    "regression": ("standardscaler", "tinynetregressor"),
}
NETWORKS = {"classification": TinyNetClassifier, "regression": TinyNetRegressor}
METRICS = {"classification": "accuracy", "regression": "R²"}  # what score returns
# --task auto: whole numbers with more distinct values than this are a quantity
MOST_CLASSES = 20
# cells of a feature column (or of a regression target) read as missing values
MISSING = ["", "NA", "N/A", "NaN", "nan", "NULL", "null"]
FIRST_DATA_LINE = 2  # line 1 is the header
CHUNK_ROWS = 65536  # rows parsed at a time


class CommandError(Exception):
    """A problem with the user's input, reported as one line and exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as a CommandError (one line, no usage)."""

    def error(self, message):
        raise CommandError(f"{message} (see {self.prog} --help)")


def _require_extra():
    """pandas, or a CommandError naming the ``cli`` extra if it or skops is absent.

    skops is only looked for here: importing ``skops.io`` imports every
    scikit-learn estimator (hundreds of MB), so fit does it after training.
    """
    absent = [name for name in ("pandas", "skops") if find_spec(name) is None]
    if absent:
        raise CommandError(
            f"the command line needs pandas and skops ({', '.join(absent)} "
            f"missing): {INSTALL}"
        )
    import pandas as pd

    return pd


def _skops_io():
    import skops.io

    return skops.io


# ---------------------------------------------------------------- arguments


def hidden_sizes(text):
    """``"32,16"`` -> ``(32, 16)``: comma-separated positive integers."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected layer sizes as positive integers separated by commas, "
            f"such as 32,16; got {text!r}"
        )
    return sizes


def _integer_at_least(lowest, meaning):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = lowest - 1
        if value < lowest:
            raise argparse.ArgumentTypeError(
                f"{meaning} must be an integer >= {lowest}; got {text!r}"
            )
        return value

    return parse


def encoding(name):
    """A text codec Python knows (pandas skips a UTF-8 byte-order mark itself)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    # byte-to-byte codecs such as hex or zlib are not text encodings
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise argparse.ArgumentTypeError(
            f"unknown encoding {name!r}, or not a text encoding; try utf-8, "
            "latin-1, cp1252 or utf-16"
        )
    return name


def seed(text):
    """A seed of numpy's RandomState: an integer from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"the seed must be an integer from 0 to 2**32 - 1; got {text!r}"
        )
    return value


# -------------------------------------------------------------------- paths


def _input_file(path):
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    return path


def _output_file(path, option, inputs):
    """A path a write can replace, checked before any work is done.

    Refused: an empty name, any of ``inputs`` (also through a link), a
    symbolic link (the write would replace the link, not its target), a
    folder, a missing folder, a folder without write permission, and
    anything but a file.
    """
    if not path:
        raise CommandError(f"{option} needs a file name; got an empty one")
    path = Path(path)
    if path.is_symlink():
        raise CommandError(
            f"{option} {path} is a symbolic link; give the path of the file itself"
        )
    for other in inputs:
        if path.exists() and os.path.samefile(path, other):  # links too
            raise CommandError(
                f"{option} {path} is the input file {other}; give another file name"
            )
    if path.is_dir():
        raise CommandError(f"{option} {path} is a folder; give a file name in it")
    if path.exists() and not path.is_file():
        raise CommandError(f"{option} {path} exists and is not a regular file")
    folder = path.absolute().parent
    if not folder.is_dir():
        raise CommandError(
            f"{option} {path}: the folder {folder} does not exist; create it first"
        )
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    except OSError as error:
        raise CommandError(
            f"{option} {path}: cannot write in {folder} ({error.strerror})"
        ) from None
    os.close(fd)
    os.remove(probe)
    return path


def _write_replacing(path, write):
    """``write(file)`` into a temporary file beside ``path``, then rename it.

    ``os.replace`` is atomic within a folder: an interrupted write leaves the
    old ``path`` (or none), never half a file.
    """
    folder = path.absolute().parent  # path is not a link: _output_file checked
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's files are private (0o600)
        os.replace(temporary, path)
    except BaseException:
        os.remove(temporary)
        raise


# ---------------------------------------------------------------- reading


def _decode_error(path, name, error):
    if not isinstance(error, UnicodeDecodeError):  # e.g. utf-16 without a BOM
        return CommandError(
            f"{path} is not {name} text ({error}); give the file's encoding "
            "with --encoding"
        )
    return CommandError(
        f"{path} is not {name} text ({error.reason}, byte "
        f"{error.object[error.start : error.start + 1]!r}); give the file's "
        "encoding with --encoding, e.g. --encoding latin-1"
    )


def read_header(pd, path, encoding):
    """The column names of the first line, exactly as written.

    pandas renames a repeated ``x`` to ``x.1`` and an empty name to
    ``Unnamed: 2``, so the header is read as a plain row of strings.
    """
    try:
        row = pd.read_csv(
            path,
            header=None,
            nrows=1,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding=encoding,
        )
    except UnicodeError as error:
        raise _decode_error(path, encoding, error) from None
    except pd.errors.EmptyDataError:
        raise CommandError(f"{path} is empty; it needs a header row") from None
    names = [str(name) for name in row.iloc[0].tolist()]
    unnamed = [i for i, name in enumerate(names, start=1) if not name.strip()]
    if unnamed:
        raise CommandError(
            f"{path}: column {unnamed[0]} has no name in the header; name it, or "
            "remove it (an index written by pandas: to_csv(..., index=False))"
        )
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise CommandError(
            f"{path}: the header names {', '.join(map(repr, repeated))} more "
            "than once; columns are matched by name, so rename or remove the copies"
        )
    return names


def read_table(pd, path, encoding, header, features):
    """Every column of the file by name: ``features`` as float32, others as str.

    The frame's columns are ``features``, in that order, as one float32 block
    (the other columns follow). Row ``i`` of the frame is line ``i + 2`` of
    the file. Cells in ``MISSING`` are NaN; numbers beyond the float32 range
    are +-inf. A row with more fields than the header is refused (pandas would
    read a first column of such a file as its index, and ``usecols`` would
    drop the extra fields).

    The file is parsed ``CHUNK_ROWS`` rows at a time, each chunk's features
    copied into the block as they come: the parser's buffers and its column
    per feature exist for one chunk only, not for the whole file.
    """
    dtype = dict.fromkeys(header, str) | dict.fromkeys(features, np.float32)
    parts, others = [], []  # (n_features, chunk rows) float32; the other columns
    try:
        with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                path,
                dtype=dtype,
                index_col=False,
                keep_default_na=False,
                na_values=dict.fromkeys(features, MISSING),
                skip_blank_lines=False,
                encoding=encoding,
                chunksize=CHUNK_ROWS,
            )
            with reader as chunks:
                for chunk in chunks:
                    parts.append(chunk[features].to_numpy(dtype=np.float32).T)
                    others.append(chunk.drop(columns=features))
    except UnicodeError as error:
        raise _decode_error(path, encoding, error) from None
    except pd.errors.ParserWarning:  # the first data row is too long
        raise CommandError(
            f"{path}: line {FIRST_DATA_LINE} has more fields than the header"
        ) from None
    except pd.errors.ParserError as error:
        raise CommandError(f"{path}: {' '.join(str(error).split())}") from None
    except ValueError as error:  # a cell that is not a number
        found = _first_non_number(pd, path, encoding, features)
        if found is None:
            raise CommandError(f"{path}: {error}") from None
        name, line, text = found
        if _is_infinite(text):  # pandas < 2.1 does not read 1e400 as inf
            raise _infinite(path, line, name) from None
        raise CommandError(
            f"{path}, line {line}, column {name!r}: {text!r} is not a number; "
            "feature columns must be numeric (encode or drop the column)"
        ) from None
    if not parts:  # a header and no rows
        return pd.DataFrame(columns=header)
    # (n_features, n_samples), C order: the block a DataFrame of the whole
    # file's float32 rows holds, so folds and StandardScaler see the same layout
    block = np.concatenate(parts, axis=1)
    del parts
    frame = pd.DataFrame(block.T, columns=features, copy=False)
    rest = pd.concat(others, ignore_index=True)
    for name in rest.columns:
        frame[name] = rest[name]
    return frame


def _is_infinite(text):
    try:
        return np.isinf(float(text))
    except ValueError:
        return False


def _infinite(path, line, name):
    return CommandError(
        f"{path}, line {line}, column {name!r}: the value is infinite or beyond "
        "the float32 range (about 3.4e38); fix or remove it"
    )


def _first_non_number(pd, path, encoding, features):
    """(column, line, text) of the first cell pandas cannot read as a number."""
    reader = pd.read_csv(
        path,
        usecols=features,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        encoding=encoding,
        chunksize=CHUNK_ROWS,
    )
    with reader as chunks:
        for chunk in chunks:
            bad = {}
            for name in features:
                text = chunk[name]
                number = pd.to_numeric(text, errors="coerce")
                rows = np.flatnonzero(number.isna() & ~text.isin(MISSING))
                if len(rows):
                    bad[name] = rows[0]
            if bad:
                name = min(bad, key=bad.get)
                line = int(chunk.index[bad[name]]) + FIRST_DATA_LINE
                return name, line, chunk[name].iloc[bad[name]]
    return None


def _first_line(frame, masks):
    """(column, line) of the earliest True among ``{column: row mask}``."""
    first = {
        name: np.flatnonzero(mask)[0] for name, mask in masks.items() if mask.any()
    }
    if not first:
        return None
    name = min(first, key=first.get)
    return name, int(frame.index[first[name]]) + FIRST_DATA_LINE


def missing_labels(labels, numeric=False):
    """Row mask of the target's missing cells: blank ones; if ``numeric``, also
    those in ``MISSING`` (for class labels, ``NA`` is a label like any other)."""
    if numeric:
        text = labels.str.strip()
        return (text.isin(MISSING) | text.isna()).to_numpy()
    blank = [v for v in labels.unique() if not isinstance(v, str) or not v.strip()]
    return labels.isin(blank).to_numpy() | labels.isna().to_numpy()


def check_values(frame, features, path, target=None, missing=None, numeric=False):
    """Refuse (or drop, ``missing="drop"``) missing cells; refuse infinities.

    ``missing=None``: no ``--missing`` option to suggest (predict).
    ``numeric``: the target is numbers (regression), see ``missing_labels``.
    """
    masks = {name: np.isnan(frame[name].to_numpy()) for name in features}
    if target is not None:
        masks[target] = missing_labels(frame[target], numeric)
    found = _first_line(frame, masks)
    if found is not None and missing != "drop":
        name, line = found
        what = "label" if name == target else "value"
        fix = "or skip such rows with --missing drop" if missing else "or drop the row"
        raise CommandError(
            f"{path}, line {line}, column {name!r}: missing {what}; fill it in, {fix}"
        )
    if found is not None:
        keep = ~np.logical_or.reduce(list(masks.values()))
        print(
            f"dropped {len(frame) - keep.sum()} of {len(frame)} rows with a missing "
            "value or label",
            file=sys.stderr,
        )
        frame = frame.loc[keep]
        if frame.empty:
            raise CommandError(f"{path}: every row has a missing value or label")
    found = _first_line(
        frame, {name: np.isinf(frame[name].to_numpy()) for name in features}
    )
    if found is not None:
        raise _infinite(path, found[1], found[0])
    return frame


# -------------------------------------------------------------------- fit


def _pipeline(task, hidden, max_iter, random_state):
    """The pipeline of ``task``; ``None`` options keep the estimator's defaults."""
    scaler, network = STEPS[task]
    given = {"hidden_layer_sizes": hidden, "max_iter": max_iter}
    params = {name: value for name, value in given.items() if value is not None}
    estimator = NETWORKS[task](random_state=random_state, **params)
    return Pipeline([(scaler, StandardScaler()), (network, estimator)])


def _fit_quietly(model, X, y, notes):
    """Fit, collecting warnings into ``notes`` ({message: count}) instead."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    for warning in caught:
        message = str(warning.message)
        if issubclass(warning.category, ConvergenceWarning):
            message += " (raise --max-iter)"
        notes[message] = notes.get(message, 0) + 1
    return model


def _check_folds(counts, cv, path):
    """Every class needs a row in each of the ``cv`` test folds."""
    if len(counts) < 2:
        raise CommandError(
            f"{path}: the target holds only one class ({counts.index[0]!r}); "
            "a classifier needs at least two"
        )
    label, fewest = counts.index[-1], int(counts.iloc[-1])
    if fewest < cv:
        fix = (
            f"lower --cv to {fewest} or less"
            if fewest >= 2
            else "add rows of it or remove it; cross-validation needs two per class"
        )
        raise CommandError(
            f"{path}: class {label!r} has {fewest} row{'s' * (fewest != 1)}, "
            f"fewer than --cv {cv} folds; {fix}"
        )
    return counts


def _check_rows_per_fold(n_rows, cv, path):
    """R² needs two rows in each of the ``cv`` test folds: ``n_rows // cv >= 2``."""
    if n_rows < 2 * cv:
        fix = (
            f"lower --cv to {n_rows // 2} or less"
            if n_rows >= 4
            else "add rows; cross-validation needs two per test fold"
        )
        raise CommandError(
            f"{path}: {n_rows} row{'s' * (n_rows != 1)} are too few for --cv {cv}; "
            f"R² needs two rows in each test fold, {2 * cv} in all; {fix}"
        )


def _numbers(pd, labels):
    """The labels as float64, NaN where a cell is not a number."""
    text = labels.str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    # pandas < 2.1 reads numbers beyond the float64 range (1e400) as NaN
    unread = np.flatnonzero(np.isnan(numbers))
    for i in unread[[_is_infinite(t) for t in text.iloc[unread]]]:
        numbers[i] = float(text.iloc[i])
    return numbers


def choose_task(pd, labels, task, name):
    """(task, reason): ``task``, or for ``auto`` the one the target's cells suggest.

    Only the non-missing cells count (``missing_labels(..., numeric=True)``).
    Any cell that is not a number: classification. A number that is not whole
    (``1.5``, ``inf``): regression. Whole numbers only: classification if there
    are at most ``MOST_CLASSES`` distinct ones, regression if more.
    """
    if task != "auto":
        return task, f"--task {task}"
    cells = pd.Series(labels.unique())  # the tests below ask only which cells occur
    numbers = _numbers(pd, cells[~missing_labels(cells, numeric=True)])
    if not len(numbers) or np.isnan(numbers).any():
        return "classification", f"--task auto: {name!r} holds text, not only numbers"
    if not (np.isfinite(numbers) & (numbers == np.floor(numbers))).all():
        return "regression", f"--task auto: {name!r} holds numbers that are not whole"
    distinct = len(np.unique(numbers))
    if distinct > MOST_CLASSES:
        return "regression", (
            f"--task auto: {name!r} holds {distinct} distinct whole numbers, "
            f"more than {MOST_CLASSES}"
        )
    return "classification", (
        f"--task auto: {name!r} holds {distinct} distinct whole numbers, "
        f"{MOST_CLASSES} or fewer"
    )


def _regression_target(pd, labels, path, name):
    """The labels as float64, (n_samples,); a cell that is not a finite number
    is a CommandError naming its line."""
    y = _numbers(pd, labels)
    bad = np.flatnonzero(~np.isfinite(y))
    if len(bad):
        line = int(labels.index[bad[0]]) + FIRST_DATA_LINE
        if np.isinf(y[bad[0]]):
            raise CommandError(
                f"{path}, line {line}, column {name!r}: the target is infinite or "
                "beyond the float64 range (about 1.8e308); fix or remove it"
            )
        raise CommandError(
            f"{path}, line {line}, column {name!r}: {labels.iloc[bad[0]]!r} is not "
            "a number; --task regression needs a numeric target (for class "
            "labels: --task classification)"
        )
    return y


def _load_training_data(pd, args, path):
    header = read_header(pd, path, args.encoding)
    if args.target not in header:
        raise CommandError(
            f"{path}: no column {args.target!r} for --target; the columns are "
            + ", ".join(map(repr, header))
        )
    features = [name for name in header if name != args.target]
    if not features:
        raise CommandError(f"{path}: no feature columns besides {args.target!r}")
    frame = read_table(pd, path, args.encoding, header, features)
    if frame.empty:
        raise CommandError(f"{path} has no data rows under its header")
    task, reason = choose_task(pd, frame[args.target], args.task, args.target)
    regression = task == "regression"
    frame = check_values(
        frame, features, path, args.target, args.missing, numeric=regression
    )
    labels = frame.pop(args.target)
    if regression:
        y = _regression_target(pd, labels, path, args.target)
    else:
        labels = labels.astype("category")
        classes = np.asarray(labels.cat.categories, dtype=object)
        y = classes[labels.cat.codes.to_numpy()]  # (n_samples,), one str per class
    # the features alone, read_table's one float32 block: a fold's rows and
    # StandardScaler then copy it once, not per column
    X = frame
    return X, y, task, reason


def fit_command(args):
    """Cross-validate on a CSV file; with --save, refit on all rows and save."""
    pd = _require_extra()
    path = _input_file(args.data)
    save = args.save is not None and _output_file(args.save, "--save", [path])
    X, y, task, reason = _load_training_data(pd, args, path)
    if task == "classification":
        counts = _check_folds(pd.Series(y).value_counts(), args.cv, path)
        target = f"{len(counts)} classes"
        splitter = StratifiedKFold
    else:
        _check_rows_per_fold(len(y), args.cv, path)
        target = "a numeric target"
        splitter = KFold
    model = _pipeline(task, args.hidden, args.max_iter, args.random_state)
    folds = splitter(args.cv, shuffle=True, random_state=args.random_state)
    print(f"task: {task} ({reason})")
    print(
        f"{len(y)} rows, {X.shape[1]} features, {target}; "
        f"{args.cv}-fold cross-validation",
        file=sys.stderr,
    )
    notes, scores = {}, []
    metric = METRICS[task]
    print(f"{'fold':>4} {'train':>6} {'test':>6} {metric:>9} {'fit s':>7}")
    for fold, (train, test) in enumerate(folds.split(X, y), start=1):
        print(f"  fitting fold {fold}/{args.cv} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        fitted = _fit_quietly(clone(model), X.iloc[train], y[train], notes)
        seconds = time.perf_counter() - start
        scores.append(fitted.score(X.iloc[test], y[test]))
        print(
            f"{fold:>4} {len(train):>6} {len(test):>6} {scores[-1]:>9.4f} "
            f"{seconds:>7.2f}",
            flush=True,
        )
        del fitted
    print(f"mean {np.mean(scores):.4f} ± {np.std(scores):.4f}")
    if save:
        _fit_quietly(model, X, y, notes)
        n_rows = len(y)
        del X, y  # freed before skops.io imports all of scikit-learn
        sio = _skops_io()
        _write_replacing(save, lambda file: sio.dump(model, file))
        print(f"saved the model refitted on all {n_rows} rows to {save}")
    for message, count in notes.items():
        print(f"warning: {count} fit(s): {message}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- predict


def trusted_types(pd, sio, task):
    """The types skops asks to trust for the pipeline fit --save writes for
    ``task``.

    Found by saving a small pipeline fitted the same way, so that the set
    follows skops's own list of the types it trusts by default.
    """
    X = pd.DataFrame({"x": np.arange(4, dtype=np.float32)})
    y = {
        "classification": np.array(["a", "b", "a", "b"], dtype=object),
        "regression": np.array([0.0, 1.0, 0.0, 1.0]),
    }[task]
    model = _fit_quietly(_pipeline(task, (2,), 1, 0), X, y, {})
    return set(sio.get_untrusted_types(data=sio.dumps(model)))


def _structure(task):
    first, second = STEPS[task]
    return f"{first}=StandardScaler and {second}={NETWORKS[task].__name__}"


def load_model(pd, sio, path):
    """The pipeline in ``path``, if it has exactly the structure fit --save writes."""
    try:
        untrusted = set(sio.get_untrusted_types(file=path))
    except Exception as error:  # not a zip file, or not written by skops
        raise CommandError(
            f"cannot read {path} as a saved model ({type(error).__name__}: "
            f"{error}); give a file written by fit --save"
        ) from None
    expected = {task: trusted_types(pd, sio, task) for task in STEPS}
    # the tasks whose pipeline needs exactly these types (one, unless skops
    # someday trusts both networks by default)
    tasks = [task for task, types in expected.items() if untrusted == types]
    if not tasks:
        choices = " or ".join(
            f"{sorted(types)} (a {task} pipeline)" for task, types in expected.items()
        )
        raise CommandError(
            f"{path} was not written by fit --save: it asks to trust "
            f"{sorted(untrusted)}, and predict trusts exactly {choices}"
        )
    model = sio.load(path, trusted=sorted(untrusted))
    steps = [(name, type(step)) for name, step in getattr(model, "steps", [])]
    shapes = [list(zip(STEPS[t], (StandardScaler, NETWORKS[t]))) for t in tasks]
    if type(model) is not Pipeline or steps not in shapes:
        found = [f"{name}={kind.__name__}" for name, kind in steps]
        raise CommandError(
            f"{path} was not written by fit --save: it holds a "
            f"{type(model).__name__} {found}, not a Pipeline of "
            + " or of ".join(map(_structure, tasks))
        )
    if not hasattr(model, "feature_names_in_"):
        raise CommandError(
            f"{path} holds a pipeline fitted without column names; refit it with "
            "fit --save"
        )
    return model


def _load_prediction_data(pd, args, path, features):
    header = read_header(pd, path, args.encoding)
    absent = [name for name in features if name not in header]
    if absent:
        raise CommandError(
            f"{path}: no column {', '.join(map(repr, absent))}, which the model "
            f"was fitted on; the columns are {', '.join(map(repr, header))}"
        )
    frame = read_table(pd, path, args.encoding, header, features)
    if frame.empty:
        raise CommandError(f"{path} has no data rows under its header")
    return check_values(frame, features, path)[features]  # the model's order


def predict_command(args):
    """Predict a label (or a number) per row of a CSV file with a fit --save model."""
    pd, sio = _require_extra(), _skops_io()
    model_path, path = _input_file(args.model), _input_file(args.data)
    out = args.out is not None and _output_file(args.out, "--out", [model_path, path])
    model = load_model(pd, sio, model_path)
    X = _load_prediction_data(pd, args, path, list(model.feature_names_in_))
    table = pd.DataFrame({"prediction": model.predict(X)})
    extra = [name for name in read_header(pd, path, args.encoding) if name not in X]
    if extra:
        print(f"ignored columns {', '.join(map(repr, extra))}", file=sys.stderr)
    if not out:
        table.to_csv(sys.stdout, index=False)
        return 0
    _write_replacing(out, lambda file: table.to_csv(file, index=False))
    print(f"wrote {len(table)} predictions to {out}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ parser


def _add_common(parser):
    parser.add_argument(
        "--encoding",
        type=encoding,
        default="utf-8",
        help="text encoding of the CSV file; a UTF-8 byte-order mark is skipped "
        "(default: %(default)s)",
    )


def _fit_parser(commands):
    fit = commands.add_parser(
        "fit",
        help="cross-validate StandardScaler + TinyNetClassifier (or "
        "TinyNetRegressor), optionally save",
        description="Cross-validate a StandardScaler + TinyNetClassifier pipeline "
        "(accuracy), or StandardScaler + TinyNetRegressor (R²), on a CSV file with "
        "a header row; every column but --target is a numeric feature. With "
        "--save, refit on all rows and save with skops.",
    )
    fit.add_argument("data", help="CSV file with a header row")
    fit.add_argument(
        "--target",
        required=True,
        help="the column to predict: class labels, or numbers for regression",
    )
    fit.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="auto: regression if every non-missing target cell is a number and "
        f"either one is not whole or there are more than {MOST_CLASSES} distinct "
        "ones, else classification; the choice is the first line printed "
        "(default: %(default)s)",
    )
    fit.add_argument(
        "--cv",
        type=_integer_at_least(2, "the number of folds"),
        default=5,
        help="number of cross-validation folds (stratified for classification), "
        "at least 2 and at most the row count of the smallest class, or half "
        "the row count for regression (default: %(default)s)",
    )
    defaults = TinyNetClassifier()  # TinyNetRegressor's are the same
    fit.add_argument(
        "--hidden",
        type=hidden_sizes,
        help="hidden layer sizes, comma-separated, e.g. 32,16 (default: "
        "the estimator's, "
        f"{','.join(map(str, defaults.hidden_layer_sizes))})",
    )
    fit.add_argument(
        "--max-iter",
        type=_integer_at_least(1, "the number of iterations"),
        help="iterations of the solver per fit at most (default: "
        f"the estimator's, {defaults.max_iter})",
    )
    fit.add_argument(
        "--missing",
        choices=["error", "drop"],
        default="error",
        help="what to do with a row holding a missing value or label: stop with "
        "an error naming it, or drop the row (default: %(default)s)",
    )
    fit.add_argument(
        "--save",
        metavar="FILE",
        help="refit on all rows and save the pipeline here with skops, e.g. "
        "model.skops (default: not saved)",
    )
    fit.add_argument(
        "--random-state",
        type=seed,
        default=0,
        help="seed of the folds and the initial weights (default: %(default)s)",
    )
    _add_common(fit)
    fit.set_defaults(run=fit_command)


def _predict_parser(commands):
    predict = commands.add_parser(
        "predict",
        help="predict with a model saved by fit --save",
        description="Predict one label (a number, for a regressor) per row. The "
        "model's feature columns are read from the CSV file by name, in any order; "
        "other columns are ignored (and listed on stderr). Only a pipeline written "
        "by fit --save is loaded.",
    )
    predict.add_argument("model", help="a .skops file written by fit --save")
    predict.add_argument("data", help="CSV file with the model's feature columns")
    predict.add_argument(
        "--out",
        metavar="FILE",
        help="write the predictions to this CSV file, one 'prediction' column "
        "(default: standard output)",
    )
    _add_common(predict)
    predict.set_defaults(run=predict_command)


def build_parser():
    from . import __version__

    parser = _Parser(
        prog=PROG,
        description="Without a command: the demo. With one: train on or predict "
        "for a CSV file with a header row. Columns are matched by name. Errors "
        "are one 'error:' line on stderr, with exit code 2. Needs "
        f'the "cli" extra: {INSTALL}',
    )
    parser.add_argument(
        "--version", action="version", version=f"sklearn-tinynet {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _fit_parser(commands)
    _predict_parser(commands)
    return parser


def main(argv):
    """Run one command; return its exit code (0, or 2 after an ``error:`` line)."""
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "error: not enough memory for this network and data; try smaller "
            "--hidden sizes or fewer rows",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: an output file is either complete or as it was",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:  # e.g. predict ... | head: the reader has gone
        try:  # no second error when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except SystemExit as exit:  # --help and --version
        return exit.code
