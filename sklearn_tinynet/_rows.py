"""Where the training rows live: the seam between the fit and its data.

The fit prepares its rows and trains on them through two interfaces, written
down here as Protocols:

- ``Rows``: the rows as parts, each a tuple ``(X, T, weights, counts)``
  (``_data``'s per-part steps). ``map`` applies a step to every part where
  the part lives and ``collect`` brings back each part's small result, in
  row order. ``LocalRows`` is one part in memory; ``_dask.DaskRows`` is one
  part per chunk of a dask array, on a cluster.
- ``Source``: what a solver trains on, ``theta -> (loss, grad)`` over all the
  rows, used as a context manager. ``_engine.LocalEngine`` and
  ``_dask.DaskEngine`` are the two.

``prepare`` is the one preparation of the rows for training, the same steps
for both kinds of Rows: weights scaled by a power of two, canonical rows
(in memory), class weights, the early-stopping split, the weights
normalised to a mean and the sources built.
"""

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from . import _data, _engine
from ._compat import get_namespace, get_namespace_and_device


class Source(Protocol):
    """The full-batch loss over rows, for the solvers.

    ``loss_and_gradient`` returns the weighted mean loss plus the L2 penalty
    and its gradient (a buffer that the next call overwrites); ``loss`` the
    weighted mean loss alone. Both are only called inside ``with source:``.
    """

    def __enter__(self) -> "Source": ...

    def __exit__(self, *exc_info) -> None: ...

    def loss(self, theta) -> float: ...

    def loss_and_gradient(self, theta) -> tuple[float, Any]: ...

    def gradient_variance(self, along) -> tuple[float, float] | None:
        """The last gradient's variance along ``along`` and across it, from
        its parts' sums (``_engine.mean_gradient_variance``); None if unknown."""


class Rows(Protocol):
    """Rows as parts, mapped where they live.

    ``map(step, **kwargs)`` is the Rows of ``step(part, **kwargs)`` for each
    part; ``collect(step, **kwargs)`` the list of those results, in row
    order, brought to the caller (small results only). ``target_summary()``
    is a small y with the targets' type, distinct values and width.
    ``canonical()`` sorts and merges duplicate rows where that is possible.
    ``source(net, layout, alpha=..., n_threads=..., all_lanes=...)`` is the
    Source of parts whose weights sum to 1; with ``all_lanes`` its
    ``gradient_variance()`` compares as many parts as it can.
    """

    def map(self, step, **kwargs) -> "Rows": ...

    def collect(self, step, **kwargs) -> list: ...

    def target_summary(self): ...

    def canonical(self) -> "Rows": ...

    def source(self, net, layout, *, alpha, n_threads, all_lanes=False) -> Source: ...


def _is_numpy(X):
    return isinstance(X, np.ndarray) or sp.issparse(X)


def like(X, array, dtype=None):
    """A numpy array in the namespace and on the device of X; numpy stays numpy."""
    if _is_numpy(X):
        return array if dtype is None else array.astype(dtype, copy=False)
    xp, _, device = get_namespace_and_device(X)
    array = xp.asarray(array, device=device)
    return array if dtype is None else xp.astype(array, dtype)


class LocalRows:
    """All rows in memory, as one part: X of any namespace, the rest numpy."""

    def __init__(self, part, y=None):
        self.part, self.y = part, y

    def map(self, step, **kwargs):
        return LocalRows(step(self.part, **kwargs), self.y)

    def collect(self, step, **kwargs):
        return [step(self.part, **kwargs)]

    def target_summary(self):
        return self.y

    def canonical(self):
        X, T, weights, _ = self.part
        small = X.shape[0] * X.shape[1] <= _data.CANONICAL_MAX_ELEMENTS
        if not (_is_numpy(X) and small):
            return self
        return LocalRows(_data.canonical_rows(X, T, weights), self.y)

    def source(self, net, layout, *, alpha, n_threads, all_lanes=False):
        X, T, weights, _ = self.part
        return _engine.LocalEngine(
            net,
            layout,
            X,
            like(X, T),
            like(X, weights, X.dtype),
            alpha=alpha,
            n_threads=n_threads,
            xp=get_namespace(X)[0],
            device=None if _is_numpy(X) else X.device,
            all_lanes=all_lanes,
        )


@dataclass
class Prepared:
    """The rows ready for training: sources, and what the fit records."""

    train: Source
    validation: Source | None  # early stopping's held-out rows
    n_rows_seen: int  # original rows behind the training rows
    # samples of the training rows, smallest first, each entered in turn
    # before the training rows (a growing sample); empty for full batches
    samples: list = field(default_factory=list)

    def __enter__(self):
        self._validation = self.validation or nullcontext()
        self.train.__enter__()
        try:
            self._validation.__enter__()
        except BaseException:
            self.train.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            self._validation.__exit__(*exc_info)
        finally:
            self.train.__exit__(*exc_info)


def prepare(
    rows, net, layout, *, alpha, n_threads, class_weight=None, split=None, growth=None
):
    """The sources of ``rows``, whose targets are encoded and weights raw.

    ``class_weight`` is None or ``(class_weight, classes, multilabel)``;
    ``split`` is None or ``(validation_fraction, seed)`` for early stopping;
    ``growth`` is None or ``(initial_rows, min_rows, seed)`` for a growing
    sample, when there are at least ``min_rows`` training rows.
    """
    # weights / 2**exponent, the largest in [1, 2): sums that cannot overflow
    exponent = _data.scaled_by_power_of_two(
        [w for w, _ in rows.collect(_data.largest_weight)]
    )[1]
    rows = rows.map(_data.scaled_part, exponent=exponent).canonical()
    if class_weight is not None:
        rows, factor_exponent = _class_weighted(rows, *class_weight)
        exponent += factor_exponent
    if not max(w for w, _ in rows.collect(_data.largest_weight)) > 0:
        product = " times class_weight" if class_weight is not None else ""
        raise ValueError(
            f"sample_weight{product} sums to zero: give at least one row a "
            "positive weight."
        )
    validation = None
    if split is not None:
        rows, validation = _split(rows, *split)
    n_rows_seen = sum(rows.collect(_data.n_rows_behind))
    train = _source(rows, net, layout, n_threads, alpha, exponent)
    samples = []
    if growth is not None:
        samples = _samples(rows, net, layout, n_threads, train.alpha, *growth)
    if validation is not None:
        validation = _source(validation, net, layout, n_threads)
    return Prepared(train, validation, n_rows_seen, samples)


def _class_weighted(rows, class_weight, classes, multilabel):
    """Rows with their weights times the class weights, and the power of two
    that divides the class weights."""
    totals, positive_sum = None, None
    if class_weight == "balanced":
        n_values = 2 if multilabel else len(classes)
        per_part = rows.collect(_data.class_totals, n_values=n_values)
        totals = sum(totals for totals, _ in per_part)
        positive_sum = sum(positive for _, positive in per_part)
    per_value = _data.class_weight_values(
        class_weight, classes, multilabel, totals, positive_sum
    )
    largest = rows.collect(_data.largest_class_factor, per_value=per_value)
    exponent = _data.scaled_by_power_of_two(largest)[1]
    rows = rows.map(_data.class_weighted_part, per_value=per_value, exponent=exponent)
    return rows, exponent


def _split(rows, fraction, seed):
    """(training rows, validation rows), by ``_data.validation_mask``'s rule."""
    hashed = rows.map(_data.hashed_part, seed=seed)
    summaries = hashed.collect(_data.hash_summary, fraction=fraction)
    u_min = None
    if not any(below for below, _ in summaries):
        u_min = min(low for _, low in summaries)
    splits = hashed.map(_data.split_part, fraction=fraction, u_min=u_min)
    train = splits.map(_data.side, i=0)
    if not max(w for w, _ in train.collect(_data.largest_weight)) > 0:
        n_positive = sum(rows.collect(_data.n_positive_rows))
        raise ValueError(
            "early_stopping needs at least 2 distinct rows of positive "
            f"weight, to hold some out for validation, but got {n_positive} "
            "sample(s) of positive weight (duplicates merged); set "
            "early_stopping=False."
        )
    return train, splits.map(_data.side, i=1)


def _source(
    rows, net, layout, n_threads, alpha=None, exponent=0, penalty=None, all_lanes=False
):
    """The Source of rows, weights normalised to a mean.

    ``weights * 2**exponent`` are the rows' sample x class weights; the
    penalty, for the training rows only (``alpha`` given), is
    ``alpha / 2 * sum ||W||**2`` over their sum, as in MLPClassifier, unless
    ``penalty`` gives it already divided.
    """
    total_weight = sum(rows.collect(_data.weight_sum))
    if penalty is None:
        penalty = 0.0
        if alpha is not None:
            penalty = _data.penalty_per_weight(alpha, total_weight, exponent)
    rows = rows.map(_data.normalised_part, total_weight=total_weight)
    return rows.source(
        net, layout, alpha=penalty, n_threads=n_threads, all_lanes=all_lanes
    )


def _samples(rows, net, layout, n_threads, penalty, initial_rows, min_rows, seed):
    """The nested samples of a growing sample, smallest first, each with a
    probe: ``[(sample, probe)]``.

    Sample k holds the rows whose seeded key (``_data.sample_keys``) is below
    ``initial_rows * 2**k / n``: about that many of the n rows of positive
    weight, each sample within the next. Samples reach at most half the
    rows; all rows come after them. Each sample's loss is its weighted mean
    loss plus the penalty of all the rows, so that it estimates theirs. Its
    probe holds rows of the next sample that are not in it, a quarter of its
    size: rows it does not train on, to tell when it overfits.
    """
    n_rows = sum(rows.collect(_data.n_positive_rows))
    if n_rows < min_rows:
        return []
    keyed = rows.map(_data.keyed_part, seed=seed)
    sizes = []
    while initial_rows * 2 ** len(sizes) * 2 <= n_rows:
        sizes.append(initial_rows * 2 ** len(sizes))
    fractions = [size / n_rows for size in sizes]
    counts = sum(keyed.collect(_data.rows_below, fractions=fractions))
    return [
        (
            SampleSource(
                keyed, 0.0, fraction, int(behind), net, layout, n_threads, penalty
            ),
            SampleSource(
                keyed, fraction, 1.25 * fraction, 0, net, layout, n_threads, 0.0
            ),
        )  # fmt: skip
        for fraction, (n, behind) in zip(fractions, counts)
        if n > 0
    ]


class SampleSource:
    """The Source of the rows whose key is in ``[low, high)``, built on
    entering and freed on leaving, so that one sample at a time is in memory.

    ``n_rows_seen`` is the original rows behind it.
    """

    def __init__(self, keyed, low, high, n_rows_seen, net, layout, n_threads, penalty):
        self.keyed, self.low, self.high = keyed, low, high
        self.n_rows_seen = n_rows_seen
        self.net, self.layout, self.n_threads = net, layout, n_threads
        self.penalty = penalty
        self.source = None

    def __enter__(self):
        rows = self.keyed.map(_data.sample_part, low=self.low, high=self.high)
        self.source = _source(
            rows, self.net, self.layout, self.n_threads,
            penalty=self.penalty, all_lanes=True,
        )  # fmt: skip
        self.source.__enter__()
        return self

    def __exit__(self, *exc_info):
        try:
            self.source.__exit__(*exc_info)
        finally:
            self.source = None

    def loss(self, theta):
        return self.source.loss(theta)

    def loss_and_gradient(self, theta):
        return self.source.loss_and_gradient(theta)

    def gradient_variance(self, along):
        return self.source.gradient_variance(along)
