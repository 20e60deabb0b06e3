"""Full-batch training on a dask cluster: rows as chunks persisted on the workers.

A backend only: ``DaskRows`` is ``_rows.Rows`` with one part per chunk of
rows, each held by its worker, and ``DaskEngine`` the ``_rows.Source`` over
them. The fit's steps (``_rows.prepare``) map ``_data``'s per-part functions
over the chunks there; every evaluation sends ``theta`` in one task per
worker, each chunk's engine returns its loss and gradient sums, and the
client adds them in chunk order. Results are therefore bit-identical for any
number of workers. Within a chunk, rows are split into blocks of
``rows_per_block(n_rows, layer_units)`` rows, ``n_rows`` being the whole
training set's, exactly as the in-memory engine splits them.

``predict_lazily`` maps a prediction over X's chunks. dask and distributed
are imported inside functions only.
"""

import sys
import warnings
import weakref

import numpy as np
from sklearn.utils.validation import check_array, check_consistent_length

from . import _data, _engine
from ._compat import check_part_sample_weight


def is_dask_collection(X):
    """Whether X is a dask collection; False without importing dask."""
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(X)


def _client():
    try:
        from distributed import get_client
    except ImportError as error:  # pragma: no cover - the [dask] extra has it
        raise ImportError(
            "Fitting on dask collections needs dask.distributed: "
            "pip install 'sklearn-tinynet[dask]'."
        ) from error
    try:
        return get_client()
    except ValueError as error:
        raise ValueError(
            "Fitting on dask collections trains on a dask.distributed cluster, "
            "and no Client is running: start one first, e.g. "
            "`Client(LocalCluster())`."
        ) from error


# --- input: dask arrays chunked by rows ---------------------------------------


def as_row_chunks(X, name="X", lengths=True):
    """A dask array of a dask array, DataFrame or Series, chunked by rows only.

    Columns are merged into one chunk (X's columns must fit one chunk). With
    ``lengths``, unknown row-chunk sizes are computed (a pass over the
    partitions that returns their lengths only).
    """
    import dask.array as da

    if hasattr(X, "to_dask_array"):  # DataFrame, Series
        if X.ndim == 1 and not isinstance(X.dtype, np.dtype):
            X = X.astype(object)  # string or categorical labels, as objects
        X = X.to_dask_array(lengths=lengths or None)
    if not isinstance(X, da.Array):
        X = da.asarray(X)
    if lengths and any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.ndim == 2 and len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    if name == "X" and X.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {X.ndim}D array instead: X is a dask array "
            f"of shape {X.shape}. Reshape your data either using "
            "array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    return X


def meta(X):
    """The empty pandas DataFrame behind a dask DataFrame: its columns."""
    return X._meta if hasattr(X, "columns") else X


def _aligned(array, X, name):
    """``array`` (y or sample_weight) as a dask array in X's row chunks."""
    if not is_dask_collection(array):  # in memory: sent in X's chunks
        import dask.array as da

        array = np.asarray(array)
        check_consistent_length(X, array)
        return da.from_array(array, chunks=(X.chunks[0], *array.shape[1:]))
    array = as_row_chunks(array, name)
    check_consistent_length(X, array)
    return array.rechunk({0: X.chunks[0]})


def _delayed_rows(array):
    """One Delayed per row chunk."""
    return list(array.to_delayed().reshape(len(array.chunks[0]), -1)[:, 0])


# --- chunk tasks, run on the workers ------------------------------------------


def _checked_part(X, y, sample_weight, estimator_name, y_numeric):
    """The in-memory fit's checks of X, y and sample_weight on one chunk:
    (X, y, weights, counts)."""
    X = check_array(
        X,
        dtype=[np.float64, np.float32],
        ensure_min_samples=0,
        input_name="X",
        estimator=estimator_name,
    )
    y = check_array(
        y,
        ensure_2d=False,
        dtype=np.float64 if y_numeric else None,
        input_name="y",
        ensure_min_samples=0,
    )
    weights = check_part_sample_weight(sample_weight, X, dtype=X.dtype)
    return X, y, weights, np.ones(X.shape[0], dtype=np.intp)


def _n_rows(part):
    return part[0].shape[0]


def _shard(net, layout, block_rows, *parts):
    """A worker's LocalEngines, one per chunk, with BLAS held to one thread
    while they live."""
    shard = _Shard(
        _engine.LocalEngine(
            net,
            layout,
            X,
            T,
            weights.astype(X.dtype, copy=False),  # as in memory
            block_rows=block_rows,
        )
        for X, T, weights, _ in parts
    )
    _engine._hold_blas_single_threaded()
    weakref.finalize(shard, _engine._release_blas)
    return shard


class _Shard(list):
    """A list that ``weakref.finalize`` can watch."""


def _shard_pass(shard, theta, with_gradient):
    """Losses, and (n_chunks, size) gradients, of a shard's chunks in order."""
    losses, grads = [], None
    if with_gradient:
        grads = np.empty((len(shard), theta.shape[0]), dtype=theta.dtype)
    for i, engine in enumerate(shard):
        if with_gradient:
            loss, grads[i] = engine.loss_and_gradient(theta)
        else:
            loss = engine.loss(theta)
        losses.append(loss)
    return losses, grads


# --- the engine ---------------------------------------------------------------


class DaskEngine:
    """``theta -> (loss, grad)`` over rows persisted on a dask cluster.

    LocalEngine's interface. Inside ``with engine:``, the parts (futures of
    each chunk's X, targets and normalised weights) held by a worker become
    one shard there: a LocalEngine per chunk. Each evaluation is one task
    per shard, so the scheduler's cost grows with the workers, not the
    chunks; the client adds the chunks' sums in chunk order, then the L2
    penalty.

    Parameters
    ----------
    client : distributed.Client
    parts : list of futures of (X, targets, weights, counts), in row order
    net : _network.Network
    layout : ParameterLayout
    n_rows : rows in all parts, for ``rows_per_block``
    dtype : X's dtype
    alpha : L2 penalty, already divided by the total sample weight
    """

    def __init__(self, client, parts, net, layout, n_rows, dtype, *, alpha=0.0):
        self.client, self.parts = client, parts
        self.net, self.layout = net, layout
        self.alpha, self.xp = alpha, np
        self.block_rows = _engine.rows_per_block(n_rows, layout.layer_units)
        self.grad = np.zeros(layout.size, dtype=dtype)
        self._shards = None  # [(future of a shard, indices of its chunks)]
        self._chunk_grads, self._chunk_weights = None, None

    def __enter__(self):
        from distributed import wait

        wait(self.parts)
        who_has = self.client.who_has(self.parts)
        on_worker = {}
        for i, part in enumerate(self.parts):
            on_worker.setdefault(min(who_has[part.key]), []).append(i)
        self._shards = [
            (
                self.client.submit(
                    _shard,
                    self.net,
                    self.layout,
                    self.block_rows,
                    *[self.parts[i] for i in chunks],
                    workers=[worker],
                    allow_other_workers=True,
                    pure=False,
                ),  # fmt: skip
                chunks,
            )
            for worker, chunks in on_worker.items()
        ]
        return self

    def __exit__(self, *exc_info):
        self.client.cancel([shard for shard, _ in self._shards])
        self._shards = None

    def _map(self, theta, with_gradient):
        """Each chunk's loss, and (n_chunks, size) gradients, in chunk order.

        theta is the tasks' argument, not scattered data, so that a worker
        lost mid-fit loses nothing that the scheduler cannot recompute.
        """
        futures = [
            self.client.submit(_shard_pass, shard, theta, with_gradient, pure=False)
            for shard, _ in self._shards
        ]
        losses = [None] * len(self.parts)
        grads = None
        if with_gradient:
            grads = np.empty((len(self.parts), self.layout.size), self.grad.dtype)
        results = self.client.gather(futures)
        for (_, chunks), (shard_losses, shard_grads) in zip(self._shards, results):
            for j, i in enumerate(chunks):
                losses[i] = shard_losses[j]
                if with_gradient:
                    grads[i] = shard_grads[j]
        return losses, grads

    def loss(self, theta):
        """The weighted mean loss, without penalty or gradient."""
        return sum(self._map(theta, with_gradient=False)[0])

    def loss_and_gradient(self, theta):
        """The weighted mean loss plus the L2 penalty, and its gradient.

        The gradient is the engine's own buffer, overwritten by the next call.
        """
        losses, grads = self._map(theta, with_gradient=True)
        self._chunk_grads = grads
        # (n_chunks, size) summed in chunk order, as LocalEngine sums its lanes
        np.sum(grads, axis=0, out=self.grad)
        total = sum(losses)
        if self.alpha:
            coefs, _ = self.layout.views(theta)
            total += _engine.add_l2_penalty(
                self.grad, coefs, self.alpha, self.layout, np
            )
        return total, self.grad

    def gradient_variance(self, along):
        """``_engine.mean_gradient_variance`` of the last ``loss_and_gradient``
        along a vector, from its chunks' sums; None with one chunk."""
        if self._chunk_weights is None:
            weights = self.client.gather(
                [self.client.submit(_data.weight_sum, part) for part in self.parts]
            )
            self._chunk_weights = np.array(weights)
        return _engine.mean_gradient_variance(
            self._chunk_grads, self._chunk_weights, along
        )


# --- the rows -----------------------------------------------------------------


class DaskRows:
    """``_rows.Rows`` of one part per chunk of rows, futures on the cluster."""

    def __init__(self, client, parts, summary):
        self.client, self.parts, self.summary = client, parts, summary

    def map(self, step, **kwargs):
        return DaskRows(
            self.client, self.client.map(step, self.parts, **kwargs), self.summary
        )

    def collect(self, step, **kwargs):
        return self.client.gather(self.client.map(step, self.parts, **kwargs))

    def target_summary(self):
        return self.summary

    def canonical(self):
        # sorting rows by content needs a shuffle of X across the cluster:
        # chunks are trained on in their own order
        return self

    def source(self, net, layout, *, alpha, n_threads, all_lanes=False):
        # the chunks are the parts that gradient_variance compares
        sizes = self.collect(_n_rows)
        kept = [part for part, n in zip(self.parts, sizes) if n > 0]
        dtype = self.collect(_dtype)[0]
        return DaskEngine(
            self.client, kept, net, layout, sum(sizes), dtype, alpha=alpha
        )


def _dtype(part):
    return part[0].dtype


def rows(X, y, sample_weight, estimator_name, y_numeric):
    """DaskRows of dask X, y and sample_weight, checked chunk by chunk.

    X is a row-chunked dask array (``as_row_chunks``). The target summary is
    ``_data.combined_target_summary`` of the chunks: y's labels, or each
    output's extremes with ``y_numeric``.
    """
    from dask import delayed

    client = _client()
    y = _targets(X, y)
    w = [None] * len(X.chunks[0])
    if sample_weight is not None:
        w = _delayed_rows(_aligned(sample_weight, X, "sample_weight"))
    parts = client.compute(
        [
            delayed(_checked_part)(x, labels, weights, estimator_name, y_numeric)
            for x, labels, weights in zip(_delayed_rows(X), _delayed_rows(y), w)
        ]
    )
    summaries = client.gather(
        client.map(_data.target_summary, parts, numeric=y_numeric)
    )
    summary = _data.combined_target_summary(
        summaries, y_numeric, y.ndim, y.shape[1] if y.ndim == 2 else 1
    )
    return DaskRows(client, parts, summary)


def _targets(X, y):
    """y as a dask array aligned with X, a column vector raveled."""
    return _data.ravel_column(_aligned(y, X, "y"))


# --- predict: one chunk at a time ---------------------------------------------


def _predict_block(X, predict):
    with warnings.catch_warnings():
        # feature names were checked on the dask DataFrame, blocks are arrays
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        return predict(X)


def predict_lazily(predict, X, dtype, n_columns):
    """``predict(X)`` as a lazy dask array, one task per chunk of the
    row-chunked X; 1-D when ``n_columns`` is None."""
    if n_columns is None:
        return X.map_blocks(
            _predict_block, predict=predict, dtype=dtype,
            drop_axis=1, meta=np.empty((0,), dtype),
        )  # fmt: skip
    return X.map_blocks(
        _predict_block, predict=predict, dtype=dtype,
        chunks=(X.chunks[0], (n_columns,)), meta=np.empty((0, 0), dtype),
    )  # fmt: skip
