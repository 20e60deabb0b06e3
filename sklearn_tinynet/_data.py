"""Training data: targets, per-row weights, canonical rows, the validation split."""

import hashlib
import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import unique_labels

# Data sets up to this size (rows x features) are put in canonical row order
# with duplicates merged; beyond it, the copy of X this needs costs more memory
# than it is worth.
CANONICAL_MAX_ELEMENTS = 2**22


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


def class_weight_per_row(class_weight, labels, y_type, sample_weight, classes):
    """Each row's class weight: a product over labels for multilabel targets.

    'balanced' is total weight / (n_classes * weight of the class), from
    weighted class frequencies, so that an integer sample_weight of k weighs
    classes as k copies of the row would. (scikit-learn's
    compute_class_weight takes sample_weight only from 1.7 on.)
    """
    if y_type == "multilabel-indicator" and class_weight != "balanced":
        raise ValueError(
            "class_weight for multilabel targets must be 'balanced' or None; "
            "a dict of class weights is only defined for single-output y."
        )
    if isinstance(class_weight, dict):
        check_class_weight(class_weight, classes)
    columns = labels.T if y_type == "multilabel-indicator" else [labels]
    factors = np.ones_like(sample_weight)
    positive = sample_weight > 0
    for column in columns:
        present, codes = np.unique(column[positive], return_inverse=True)
        if class_weight == "balanced":
            class_weight_sum = np.bincount(codes, weights=sample_weight[positive])
            per_class = sample_weight[positive].sum() / (
                len(present) * class_weight_sum
            )
        else:
            per_class = np.array([class_weight.get(c, 1.0) for c in present])
        index = np.searchsorted(present, column).clip(0, len(present) - 1)
        known = present[index] == column
        factors *= np.where(known, per_class[index], 0.0)
    return factors


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
    rows, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
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
