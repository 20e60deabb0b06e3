"""Training data: targets, per-row weights, canonical rows, the validation split.

The steps that prepare rows for training work on one *part* of the rows at a
time, a tuple ``(X, T, weights, counts)``: features, targets (class codes,
an indicator matrix or float targets), per-row weights in float64 numpy, and
the number of original rows behind each row. ``_rows`` maps them over the
parts, wherever the parts live.
"""

import hashlib
import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import unique_labels

from . import _training
from ._compat import get_namespace, to_numpy

# Data sets up to this size (rows x features) are put in canonical row order
# with duplicates merged; beyond it, the copy of X this needs costs more memory
# than it is worth.
CANONICAL_MAX_ELEMENTS = 2**22


def ravel_column(y):
    """y of shape (n, 1) as (n,), with scikit-learn's DataConversionWarning
    (``column_or_1d``'s text) attributed to the user's line; other y unchanged.

    Numpy or dask y: both index as ``y[:, 0]``.
    """
    if y.ndim == 2 and y.shape[1] == 1:
        _training._warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples, ), for example using ravel().",
            DataConversionWarning,
        )
        return y[:, 0]
    return y


def check_hidden_layer_sizes(hidden_layer_sizes):
    sizes = (
        (hidden_layer_sizes,)
        if isinstance(hidden_layer_sizes, Integral)
        else tuple(hidden_layer_sizes)
    )
    if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in sizes) or (
        sizes and min(sizes) <= 0
    ):
        raise ValueError(
            "hidden_layer_sizes must be a tuple of positive integers, such as (100,) "
            f"or (32, 16), or () for no hidden layer; got {hidden_layer_sizes!r}."
        )
    return [int(s) for s in sizes]


def find_classes(y, y_type, classes=None):
    """``classes_`` of a first fit: the labels of y, or of ``classes`` if given."""
    is_multilabel = y_type == "multilabel-indicator"
    classes_ = unique_labels(y if classes is None else np.asarray(classes))
    if not is_multilabel and len(classes_) < 2:
        raise ValueError(
            f"y contains only one class ({classes_[0]!r}); a classifier "
            "needs samples of at least 2 classes."
        )
    return classes_


def encode_targets(y, y_type, classes, multilabel):
    """Class codes (n_samples,), or the indicator matrix for multilabel y.

    ``classes`` and ``multilabel`` are those of the model being fitted.
    """
    is_multilabel = y_type == "multilabel-indicator"
    if multilabel != is_multilabel:
        fitted_on = "multilabel-indicator" if multilabel else "single-label"
        raise ValueError(
            f"y is {y_type} but the model was fitted on {fitted_on} targets; "
            "fit a new model instead."
        )
    if is_multilabel:
        if y.shape[1] != len(classes):
            raise ValueError(
                f"y has {y.shape[1]} labels but the model was fitted on "
                f"{len(classes)}; fit a new model instead."
            )
        values = np.unique(y)
        if not np.isin(values, [0, 1]).all():
            raise ValueError(
                "A multilabel y must be a 0/1 indicator matrix, but it holds "
                f"{values.tolist()}. Convert it first, e.g. (y == 1).astype(int) "
                "for -1/+1 labels."
            )
        return y
    unknown = np.setdiff1d(np.unique(y), classes)
    if unknown.size:
        raise ValueError(
            f"y holds labels {unknown.tolist()} that are not in classes_ "
            f"{classes.tolist()}; pass every class to `classes` on the "
            "first call to partial_fit, or fit a new model (warm_start=False)."
        )
    return np.searchsorted(classes, y)


def check_multilabel_classes(classes, n_labels):
    """``classes`` of partial_fit for a multilabel y: None or its column indices."""
    if classes is not None and not np.array_equal(classes, np.arange(n_labels)):
        raise ValueError(
            f"For a multilabel y, classes_ are its column indices "
            f"{list(range(n_labels))}, but classes={list(classes)}; pass "
            "classes=None, or those indices."
        )


def scaled_by_power_of_two(weights):
    """``(weights / 2**e, e)`` in float64, the largest weight scaled into [1, 2).

    Scaling by a power of two is exact, and so are the sums and ratios of the
    scaled weights (absent underflow): a weighted mean is bit-identical to
    that of the weights themselves, whose sum could overflow. Weights of at
    most 1 but at least 1/2, unit weights among them, are left as they are.
    """
    weights = np.asarray(weights, dtype=np.float64)
    largest = weights.max(initial=0.0)
    if not largest > 0:
        return weights, 0
    exponent = int(np.frexp(largest)[1]) - 1
    return (np.ldexp(weights, -exponent) if exponent else weights), exponent


def unscaled(value, exponent):
    """``value * 2**exponent``, infinite when that overflows."""
    try:
        return math.ldexp(value, exponent)
    except OverflowError:
        return math.inf


def penalty_per_weight(alpha, scaled_total, exponent):
    """``alpha / (scaled_total * 2**exponent)``, exactly; ValueError on overflow.

    ``scaled_total * 2**exponent`` is the sum of the rows' sample x class
    weights: ``alpha / 2 * sum ||W||**2`` over it is MLPClassifier's penalty.
    """
    penalty = unscaled(alpha / scaled_total, -exponent)
    if not math.isfinite(penalty):
        raise ValueError(
            f"alpha={alpha} divided by the sum of the sample (times class) "
            f"weights overflows: the weights sum to about "
            f"2**{math.frexp(scaled_total)[1] + exponent}. Multiply the weights "
            "and alpha by the same large number (the model does not change), "
            "or set alpha=0."
        )
    return penalty


def check_class_weight(class_weight, classes):
    """Reject a dict of class weights with unknown classes or invalid weights."""
    unknown = [c for c in class_weight if c not in set(classes)]
    if unknown:
        raise ValueError(
            f"class_weight names classes {unknown} that are not in y's "
            f"classes {classes.tolist()}; use labels of y as keys."
        )
    for label, weight in class_weight.items():
        valid = isinstance(weight, Real) and not isinstance(weight, bool)
        if not (valid and math.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight[{label!r}] is {weight!r}; class weights must be "
                "finite non-negative numbers."
            )


def class_weight_values(class_weight, classes, multilabel, totals, positive_sum):
    """(n_columns, n_values) class weight of each value of each target column.

    A column is the class codes (values 0 .. n_classes - 1), or one label of a
    multilabel indicator matrix (values 0, 1). 'balanced' is total weight /
    (n_present * weight of the value), from the weighted value totals of
    ``class_totals`` summed over the parts, so that an integer sample_weight
    of k weighs classes as k copies of the row would; values absent from the
    rows of positive weight get 0. (scikit-learn's compute_class_weight
    takes sample_weight only from 1.7 on.)
    """
    if multilabel and class_weight != "balanced":
        raise ValueError(
            "class_weight for multilabel targets must be 'balanced' or None; "
            "a dict of class weights is only defined for single-output y."
        )
    if isinstance(class_weight, dict):
        check_class_weight(class_weight, classes)
        return np.array([[class_weight.get(c, 1.0) for c in classes]])
    present = totals > 0
    n_present = present.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_value = positive_sum / (n_present * totals)
    return np.where(present, per_value, 0.0)


def lexicographic_order(key):
    """The order of the rows of a finite float64 array by their first
    column, then their second, ...: ``np.unique(key, axis=0)``'s order.

    One sort of the rows as strings of bytes, compared like ``memcmp``: each
    value becomes a big-endian unsigned integer that orders as the floats
    do (the sign bit set for x >= 0, every bit flipped for x < 0), -0.0 as
    0.0. np.unique compares the rows column by column: 4,000 rows of 785
    columns, most of them tied on their leading zero pixels, took 0.3 s.
    """
    bits = (key + 0.0).view(np.uint64)  # -0.0 + 0.0 is 0.0
    negative = bits >= np.uint64(2**63)
    bits = np.where(negative, ~bits, bits | np.uint64(2**63))
    bits = np.ascontiguousarray(bits, dtype=">u8")  # rows of adjacent bytes
    rows = bits.view(np.dtype((np.void, bits.itemsize * key.shape[1])))
    return np.argsort(rows.ravel(), kind="stable")


def canonical_rows(X, Y, weights):
    """Rows sorted by content, exact duplicates merged into one weighted row.

    The weighted mean loss is unchanged, but training no longer depends on
    the order of the rows, and an integer ``sample_weight`` of k gives
    bit-identical results to k copies of the row. Rows of zero weight are
    dropped. Returns X, Y, weights and the number of original rows behind
    each row.
    """
    dense = X.toarray() if sp.issparse(X) else X
    n_features = dense.shape[1]
    key = np.hstack([dense, np.reshape(Y, (len(Y), -1))]).astype(np.float64)
    order = lexicographic_order(key)
    key = key[order]
    first = np.ones(len(key), dtype=bool)  # the first of each run of equal rows
    first[1:] = np.any(key[1:] != key[:-1], axis=1)
    rows = key[first]
    inverse = np.empty(len(key), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    merged = np.bincount(inverse, weights=weights, minlength=len(rows))
    counts = np.bincount(inverse, minlength=len(rows))
    keep = merged > 0
    rows, merged, counts = rows[keep], merged[keep], counts[keep]
    X_rows = rows[:, :n_features].astype(X.dtype)
    Y_rows = rows[:, n_features:].astype(Y.dtype)
    return (
        sp.csr_matrix(X_rows) if sp.issparse(X) else X_rows,
        Y_rows[:, 0] if Y.ndim == 1 else Y_rows,
        merged.astype(weights.dtype),
        counts,
    )


def validation_mask(X, Y, weights, fraction, seed):
    """Rows held out for early stopping, chosen by a seeded hash of each row.

    A row's side depends only on its content (features and target) and the
    seed: duplicated rows never straddle the split, the split does not depend
    on row order, and an integer ``sample_weight`` of k holds out exactly
    what k copies of the row would. Rows of zero weight stay in training,
    where they count for nothing.
    """
    u = row_hashes(X, Y, seed)
    u[weights == 0] = np.inf
    mask = u < fraction
    if not mask.any():
        mask = u == u.min()
    if not weights[~mask].sum() > 0:
        raise ValueError(
            "early_stopping needs at least 2 distinct rows of positive "
            "weight, to hold some out for validation; set "
            "early_stopping=False."
        )
    return mask


def row_hashes(X, Y, seed):
    """Each row's seeded hash of its content, uniform in [0, 1), (n_rows,)."""
    key = int(seed).to_bytes(8, "little")
    X = X.tocsr() if sp.issparse(X) else np.asarray(X)
    Y = np.ascontiguousarray(Y)
    u = np.empty(X.shape[0])
    for i in range(X.shape[0]):
        # hash the row's nonzero (index, value) pairs: dense and sparse agree
        if sp.issparse(X):
            row = slice(X.indptr[i], X.indptr[i + 1])
            index, value = X.indices[row], X.data[row]
            index, value = index[value != 0], value[value != 0]
        else:
            index = np.flatnonzero(X[i])
            value = X[i, index]
        h = hashlib.blake2b(digest_size=8, key=key)
        h.update(index.astype(np.int64).tobytes())
        h.update(value.astype(np.float64).tobytes())
        h.update(Y[i].tobytes())
        u[i] = int.from_bytes(h.digest(), "little") / 2.0**64
    return u


def _mix64(z):
    """splitmix64's finaliser: uint64 values to well-mixed uint64 values."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def sample_keys(X, Y, seed):
    """Each row's seeded key, uniform in [0, 1), from its content, (n_rows,).

    The key is the sum (mod 2**64) of a mix of each nonzero ``(column,
    value)`` pair of X and each column of Y, so dense and sparse X agree and
    a row's key depends on nothing but the row: the rows below a threshold
    are the same whatever the row order or the chunks. Vectorised over rows,
    one column at a time.
    """
    X = X.tocsc() if sp.issparse(X) else X
    Y = np.reshape(np.asarray(Y, dtype=np.float64), (X.shape[0], -1))
    keys = np.zeros(X.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        salt = _mix64(np.uint64(seed % 2**64))
        for j in range(X.shape[1]):
            column = _mix64(salt + np.uint64(j))
            if sp.issparse(X):
                rows = X.indices[X.indptr[j] : X.indptr[j + 1]]
                values = X.data[X.indptr[j] : X.indptr[j + 1]].astype(np.float64)
                mixed = _mix64(values.view(np.uint64) ^ column)
                np.add.at(keys, rows, np.where(values != 0, mixed, 0))
            else:
                values = np.asarray(X[:, j], dtype=np.float64)
                mixed = _mix64(values.view(np.uint64) ^ column)
                keys += np.where(values != 0, mixed, 0)  # -0.0, 0.0 left out
        for j in range(Y.shape[1]):
            column = _mix64(salt + np.uint64(2**63 + j))
            keys += _mix64((Y[:, j] + 0.0).view(np.uint64) ^ column)
    return (_mix64(keys) >> np.uint64(11)) * 2.0**-53


# --- per-part steps: a part is (X, T, weights, counts) ----------------------


def target_summary(part, numeric):
    """A few of the part's targets that carry y's type: its distinct labels,
    or each output's smallest and largest value."""
    y = part[1]
    if not numeric:
        return np.unique(y)
    if y.shape[0] == 0:
        return y
    return np.concatenate([y.min(axis=0, keepdims=True), y.max(axis=0, keepdims=True)])


def combined_target_summary(summaries, numeric, y_ndim, y_width):
    """One small y of the parts' summaries: y's type, labels and extremes.

    Labels of 2-D y are each repeated across y's columns, which has the type
    (multilabel-indicator or not) that y has.
    """
    values = np.concatenate(summaries)
    if numeric:
        return values
    values = np.unique(values)
    return values if y_ndim == 1 else np.tile(values[:, None], (1, y_width))


def float_target_part(part):
    """The part with its numeric targets as a float64 (n_rows, n_outputs) matrix."""
    X, y, weights, counts = part
    return X, np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1), weights, counts


def largest_target(part):
    """(n_outputs,) largest absolute target of each output; 0 without rows."""
    return np.abs(part[1]).max(axis=0, initial=0.0)


def column_scale(largest):
    """A power of two near each output's largest absolute target (1 for 0):
    targets divided by it lie in [-2, 2], so their squares neither overflow
    nor underflow."""
    exponent = np.frexp(largest)[1] - 1
    return np.where(largest > 0, np.ldexp(1.0, exponent), 1.0)


def target_moments(part, scale):
    """Weighted moments of each output of the part's targets divided by
    ``scale`` (powers of two): (exponent, total weight, mean, sum of weighted
    squared deviations), the weights divided by ``2**exponent`` so that
    their sums cannot overflow."""
    T = part[1] / scale
    weights, exponent = scaled_by_power_of_two(part[2])
    total = float(weights.sum())
    if not total > 0:
        return 0, 0.0, np.zeros(T.shape[1]), np.zeros(T.shape[1])
    mean = weights @ T / total
    return exponent, total, mean, weights @ (T - mean) ** 2


def combined_moments(moments):
    """(mean, standard deviation) of each output over the parts' moments
    (Chan, Golub and LeVeque's pairwise update), as if of one part."""
    moments = [m for m in moments if m[1] > 0]
    top = max(exponent for exponent, *_ in moments)
    # each part's totals in units of 2**top
    scaled = [
        (np.ldexp(total, e - top), mean, np.ldexp(m2, e - top))
        for e, total, mean, m2 in moments
    ]
    total = sum(w for w, _, _ in scaled)
    mean = sum(w * mean_i for w, mean_i, _ in scaled) / total
    m2 = sum(m2_i + w * (mean_i - mean) ** 2 for w, mean_i, m2_i in scaled)
    return mean, np.sqrt(m2 / total)


def rounded_below(values, spread, bits=20):
    """``values`` rounded to a multiple of the power of two ``2**-bits`` below
    ``spread``: sums of the same numbers in another order, which differ in
    the last bits, round alike, and the rounding error is under
    ``spread * 2**-bits``. Where the spread is 0, the values themselves."""
    quantum = np.ldexp(1.0, np.frexp(np.where(spread > 0, spread, 1.0))[1] - bits)
    return np.where(spread > 0, np.round(values / quantum) * quantum, values)


def power_of_two_near(values):
    """The power of two nearest each positive value (1 for zero), finite."""
    values = np.where(values > 0, values, 1.0)
    exponent = np.round(np.log2(values)).clip(-1074, 1023).astype(int)
    return np.ldexp(1.0, exponent)


def standardised_part(part, offset, scale):
    """The part with its targets as ``(T - offset) / scale``, per output."""
    X, T, weights, counts = part
    return X, (T - offset) / scale, weights, counts


def encoded_part(part, y_type, classes, multilabel):
    """The part with its labels y as ``encode_targets``'s target matrix."""
    X, y, weights, counts = part
    return X, encode_targets(y, y_type, classes, multilabel), weights, counts


def largest_weight(part):
    """The part's largest weight, and its number of rows."""
    return float(part[2].max(initial=0.0)), part[2].shape[0]


def n_positive_rows(part):
    return int((part[2] > 0).sum())


def weight_sum(part):
    return float(part[2].sum())


def n_rows_behind(part):
    """Original rows behind the part's rows, duplicates merged included."""
    return int(part[3].sum())


def with_weights(part, weights):
    X, T, _, counts = part
    return X, T, weights, counts


def scaled_part(part, exponent):
    """The part with its weights divided by ``2**exponent`` (exactly), in float64."""
    weights = np.asarray(part[2], dtype=np.float64)
    return with_weights(part, np.ldexp(weights, -exponent) if exponent else weights)


def normalised_part(part, total_weight):
    """Weights divided by the training set's total: the loss is a weighted mean."""
    return with_weights(part, part[2] / total_weight)


def target_columns(T):
    """The target's columns as integer codes: class codes, or each label's 0/1."""
    return T.T.astype(np.intp) if T.ndim == 2 else [T]


def class_totals(part, n_values):
    """(n_columns, n_values) weight of each value of each target column, among
    rows of positive weight, and those rows' total weight."""
    _, T, weights, _ = part
    positive = weights > 0
    totals = np.stack(
        [
            np.bincount(column[positive], weights=weights[positive], minlength=n_values)
            for column in target_columns(T)
        ]
    )
    return totals, float(weights[positive].sum())


def class_factors(part, per_value, exponent=0):
    """Each row's class weight, a product over the target's columns,
    divided by ``2**exponent``."""
    factors = np.ones_like(part[2])
    for j, column in enumerate(target_columns(part[1])):
        factors *= per_value[j][column]
    return np.ldexp(factors, -exponent) if exponent else factors


def largest_class_factor(part, per_value):
    return float(class_factors(part, per_value).max(initial=0.0))


def class_weighted_part(part, per_value, exponent):
    """Weights times class weights scaled by ``2**-exponent``."""
    return with_weights(part, part[2] * class_factors(part, per_value, exponent))


def hashed_part(part, seed):
    """The part, and each row's validation hash; inf for rows of zero weight."""
    return keyed_part(part, seed, keys=row_hashes)


def hash_summary(hashed, fraction):
    """Whether any row falls below ``fraction``, and the part's lowest hash."""
    u = hashed[1]
    return bool(np.any(u < fraction)), (u.min() if len(u) else np.inf)


def split_part(hashed, fraction, u_min):
    """(training part, validation part): rows below ``fraction``, or at u_min.

    ``validation_mask``'s rule over all parts: ``u_min`` is the lowest hash
    of all rows when none falls below ``fraction``, else None.
    """
    part, u = hashed
    val = u < fraction if u_min is None else u == u_min
    return take_rows(part, ~val), take_rows(part, val)


def side(split, i):
    return split[i]


def take_rows(part, mask):
    """The rows of the part where the boolean numpy ``mask`` is True, or at
    the numpy indices ``mask``."""
    X, T, weights, counts = part
    rows = mask
    if not (isinstance(X, np.ndarray) or sp.issparse(X)):  # X's namespace, device
        rows = get_namespace(X)[0].asarray(mask, device=X.device)
    return X[rows], T[mask], weights[mask], counts[mask]


def keyed_part(part, seed, keys=sample_keys):
    """The part, and each row's ``keys(X, T, seed)``; inf for rows of zero
    weight."""
    X, T, weights, _ = part
    u = keys(to_numpy(X), to_numpy(T), seed)
    u[weights == 0] = np.inf
    return part, u


def rows_below(keyed, fractions):
    """For each fraction, the part's rows with a key below it, and the
    original rows behind them: (len(fractions), 2) integers."""
    part, u = keyed
    below = [u < f for f in fractions]
    return np.array(
        [[np.count_nonzero(mask), part[3][mask].sum()] for mask in below],
        dtype=np.int64,
    )


def sample_part(keyed, low, high):
    """The part's rows whose key is in ``[low, high)``, in the order of their
    keys: with ``low=0``, a nested sample.

    In key order, any run of rows is a random subset of the sample, as the
    engine's variance estimate from its lanes' blocks needs, even when the
    rows came sorted (by class, or canonical).
    """
    part, u = keyed
    rows = np.flatnonzero((low <= u) & (u < high))
    return take_rows(part, rows[np.argsort(u[rows], kind="stable")])
