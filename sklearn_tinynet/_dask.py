"""Full-batch training on a dask cluster: the engine's sums over persisted chunks.

The rows stay on the workers. Each chunk of rows is validated, encoded and
split there, then held by its worker as a ``LocalEngine`` of its own; every
evaluation sends ``theta`` in one task per worker, each chunk's engine
returns its loss and gradient sums, and the client adds them in chunk order.
Results are therefore bit-identical for any number of workers. Within a chunk, rows are
split into blocks of ``rows_per_block(n_rows, layer_units)`` rows, ``n_rows``
being the whole training set's, exactly as the in-memory engine splits them.

``predict`` and friends map the fitted estimator over X's chunks, lazily.
dask and distributed are imported inside functions only.
"""

import sys
import warnings
import weakref
from contextlib import nullcontext

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
)

from . import _data, _engine, _network, _training
from ._compat import check_feature_names, check_n_features, check_sample_weight


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


def _meta(X):
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
# A part is (X, y or Y, weights) of one chunk of rows, in numpy.


def _checked_part(X, y, sample_weight, estimator):
    """The in-memory fit's checks of X, y and sample_weight, on one chunk."""
    X = check_array(
        X,
        dtype=[np.float64, np.float32],
        ensure_min_samples=0,
        input_name="X",
        estimator=estimator,
    )
    y = check_array(
        y, ensure_2d=False, dtype=None, input_name="y", ensure_min_samples=0
    )
    weights = check_sample_weight(
        sample_weight, X, dtype=X.dtype, ensure_non_negative=True
    )
    return X, y, weights


def _labels(part):
    """The chunk's distinct label values."""
    return np.unique(part[1])


def _encoded_part(part, y_type, classes, multilabel):
    X, y, weights = part
    return X, _data.encode_targets(y, y_type, classes, multilabel), weights


def _class_totals(part, n_outputs, multilabel):
    """Weight of each (output, value) among rows of positive weight.

    (1, n_classes) of class codes, or (n_labels, 2) of multilabel 0/1 values.
    """
    _, Y, weights = part
    positive = weights > 0
    if not multilabel:
        codes, w = Y[positive], weights[positive]
        return np.bincount(codes, weights=w, minlength=n_outputs)[None, :]
    return np.stack(
        [
            np.bincount(column, weights=weights[positive], minlength=2)
            for column in Y[positive].T.astype(np.intp)
        ]
    )


def _class_weighted_part(part, class_weight, y_type, classes, per_value):
    """Weights times class weights: from the dict, or 'balanced' per_value."""
    X, Y, weights = part
    if per_value is None:
        labels = Y if Y.ndim == 2 else classes[Y]
        factors = _data.class_weight_per_row(
            class_weight, labels, y_type, weights, classes
        )
    else:  # (n_outputs, n_values) factors, multiplied over the outputs
        columns = Y.T.astype(np.intp) if Y.ndim == 2 else [Y]
        factors = np.ones_like(weights)
        for j, column in enumerate(columns):
            factors *= per_value[j][column]
    return X, Y, weights * factors


def _hashed_part(part, seed):
    """The part and each row's validation hash; inf for rows of zero weight."""
    X, Y, weights = part
    u = _data.row_hashes(X, Y, seed)
    u[weights == 0] = np.inf
    return part, u


def _hash_summary(hashed, fraction):
    u = hashed[1]
    return bool(np.any(u < fraction)), (u.min() if len(u) else np.inf)


def _split_part(hashed, fraction, u_min):
    """(training part, validation part): rows below ``fraction``, or at u_min."""
    (X, Y, weights), u = hashed
    val = u < fraction if u_min is None else u == u_min
    return (X[~val], Y[~val], weights[~val]), (X[val], Y[val], weights[val])


def _side(split, i):
    return split[i]


def _largest_weight(part):
    """The part's largest weight and number of rows."""
    return float(part[2].max(initial=0.0)), len(part[2])


def _scaled_part(part, exponent):
    """The part with its weights divided by ``2**exponent`` (exactly), in float64."""
    X, Y, weights = part
    return X, Y, np.ldexp(weights.astype(np.float64), -exponent)


def _weight_sum(part):
    return float(part[2].sum())


def _normalised_part(part, total_weight):
    """Weights divided by the set's total, in X's dtype, as in memory."""
    X, Y, weights = part
    return X, Y, (weights / total_weight).astype(X.dtype, copy=False)


def _shard(net, layout, block_rows, *parts):
    """A worker's LocalEngines, one per chunk, with BLAS held to one thread
    while they live."""
    shard = _Shard(
        _engine.LocalEngine(net, layout, X, Y, weights, block_rows=block_rows)
        for X, Y, weights in parts
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
    parts : list of futures of (X, targets, weights), in row order
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
        # (n_chunks, size) summed in chunk order, as LocalEngine sums its lanes
        np.sum(grads, axis=0, out=self.grad)
        total = sum(losses)
        if self.alpha:
            coefs, _ = self.layout.views(theta)
            total += _engine.add_l2_penalty(
                self.grad, coefs, self.alpha, self.layout, np
            )
        return total, self.grad


# --- fit ----------------------------------------------------------------------


def _summary_of_labels(client, parts, y):
    """A small y with y's type and labels: its distinct values.

    For 2-D y, each distinct value repeated across y's columns, which has the
    type (multilabel-indicator or not) that y has.
    """
    values = np.unique(np.concatenate(client.gather(client.map(_labels, parts))))
    if y.ndim == 1:
        return values
    return np.tile(values[:, None], (1, y.shape[1]))


def _targets(X, y):
    """y as a dask array aligned with X, a column vector raveled."""
    y = _aligned(y, X, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples, ), for example using ravel().",
            DataConversionWarning,
            stacklevel=4,
        )
        y = y[:, 0]
    return y


def _prepared_parts(estimator, client, X, y, sample_weight, first_call):
    """Futures of (X, targets, weights) per chunk, and the output layer."""
    check_feature_names(estimator, _meta(X), reset=first_call)
    X = as_row_chunks(X)
    if X.shape[0] < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of "
            f"1 is required by {type(estimator).__name__}."
        )
    check_n_features(estimator, X, reset=first_call)
    y = _targets(X, y)
    w = [None] * len(X.chunks[0])
    if sample_weight is not None:
        w = _delayed_rows(_aligned(sample_weight, X, "sample_weight"))
    from dask import delayed

    parts = client.compute(
        [
            delayed(_checked_part)(x, labels, weights, type(estimator).__name__)
            for x, labels, weights in zip(_delayed_rows(X), _delayed_rows(y), w)
        ]
    )
    summary = _summary_of_labels(client, parts, y)
    check_classification_targets(summary)
    y_type = type_of_target(summary)
    model = estimator._output_layer(summary, y_type, None, first_call, False)
    classes, multilabel = model["classes_"], model["_multilabel"]
    _data.encode_targets(summary, y_type, classes, multilabel)  # its checks
    parts = client.map(
        _encoded_part, parts, y_type=y_type, classes=classes, multilabel=multilabel
    )
    parts = _class_weighted(estimator, client, parts, y_type, model)
    largest = [w for w, _ in client.gather(client.map(_largest_weight, parts))]
    if not all(np.isfinite(largest)):
        raise _overflow_error()
    if not max(largest) > 0:
        raise ValueError(
            "sample_weight sums to zero: give at least one row a positive weight."
        )
    return parts, model, X.dtype if X.dtype in (np.float32, np.float64) else np.float64


def _overflow_error():
    return ValueError(
        "sample_weight times class_weight overflows float64 on dask: a weight "
        "or a class's total is infinite. Divide sample_weight and alpha by the "
        "same large number; the model does not change."
    )


def _class_weighted(estimator, client, parts, y_type, model):
    class_weight = estimator.class_weight
    if class_weight is None:
        return parts
    classes, multilabel = model["classes_"], model["_multilabel"]
    per_value = None
    if class_weight == "balanced":
        # total / (n_present * class total), as _data.class_weight_per_row
        totals = sum(
            client.gather(
                client.map(
                    _class_totals, parts, n_outputs=len(classes), multilabel=multilabel
                )
            )
        )
        if not np.isfinite(totals).all():
            raise _overflow_error()
        present = totals > 0
        n_present = present.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_value = totals.sum(axis=1, keepdims=True) / (n_present * totals)
        per_value = np.where(present, per_value, 0.0)
    return client.map(
        _class_weighted_part,
        parts,
        class_weight=class_weight,
        y_type=y_type,
        classes=classes,
        per_value=per_value,
    )


def _split(estimator, client, parts, random_state):
    """Futures of the training parts and of the validation parts (or None).

    The split of ``_data.validation_mask``, chunk by chunk: a row is held out
    when its hash is below ``validation_fraction``, or, when no row is, the
    rows of the lowest hash.
    """
    if not estimator.early_stopping:
        return parts, None
    seed = random_state.randint(np.iinfo(np.int32).max)
    fraction = estimator.validation_fraction
    hashed = client.map(_hashed_part, parts, seed=seed)
    summaries = client.gather(client.map(_hash_summary, hashed, fraction=fraction))
    u_min = None
    if not any(below for below, _ in summaries):
        u_min = min(low for _, low in summaries)
    splits = client.map(_split_part, hashed, fraction=fraction, u_min=u_min)
    train = client.map(_side, splits, i=0)
    largest = client.gather(client.map(_largest_weight, train))
    if not max(w for w, _ in largest) > 0:
        raise ValueError(
            "early_stopping needs at least 2 distinct rows of positive "
            "weight, to hold some out for validation; set "
            "early_stopping=False."
        )
    return train, client.map(_side, splits, i=1)


def _engine_of(estimator, client, parts, net, layout, dtype, penalised=False):
    """The DaskEngine of the parts, weights normalised to a mean; and its rows."""
    largest = client.gather(client.map(_largest_weight, parts))
    n_rows = sum(n for _, n in largest)
    kept = [part for part, (_, n) in zip(parts, largest) if n > 0]
    # weights / 2**exponent, the largest in [1, 2): sums that cannot overflow,
    # as _data.scaled_by_power_of_two in memory
    exponent = _data.scaled_by_power_of_two([w for w, _ in largest])[1]
    kept = client.map(_scaled_part, kept, exponent=exponent)
    scaled_total = sum(client.gather(client.map(_weight_sum, kept)))
    kept = client.map(_normalised_part, kept, total_weight=scaled_total)
    alpha = 0.0
    if penalised:
        alpha = _data.penalty_per_weight(estimator.alpha, scaled_total, exponent)
    engine = DaskEngine(client, kept, net, layout, n_rows, dtype, alpha=alpha)
    return engine, n_rows


def fit(estimator, X, y, sample_weight, incremental):
    """TinyNetClassifier._fit on dask collections; the rows stay on the cluster."""
    from ._classifier import _weights

    if incremental:
        raise ValueError(
            "partial_fit takes in-memory arrays only; pass dask collections to "
            "fit, which trains on all their rows."
        )
    client = _client()
    hidden_layer_sizes = _data.check_hidden_layer_sizes(estimator.hidden_layer_sizes)
    first_call = not hasattr(estimator, "coefs_") or not estimator.warm_start
    parts, model, dtype = _prepared_parts(
        estimator, client, X, y, sample_weight, first_call
    )
    layer_units = [estimator.n_features_in_, *hidden_layer_sizes, model["n_outputs_"]]
    layout = _engine.ParameterLayout(layer_units, estimator.fit_intercept)
    random_state = check_random_state(estimator.random_state)
    theta = estimator._initial_theta(layout, random_state, first_call).astype(dtype)
    net = _network.Network(
        estimator.activation, model["out_activation_"], estimator.loss
    )
    train, validation = _split(estimator, client, parts, random_state)
    engine, n_rows_seen = _engine_of(
        estimator, client, train, net, layout, dtype, penalised=True
    )
    validation_engine = None
    if validation is not None:
        validation_engine, _ = _engine_of(
            estimator, client, validation, net, layout, dtype
        )
    del parts, train, validation

    def fitted_attributes():
        return {**model, **_weights(theta, layout)}

    callbacks = _training.CallbackBridge(
        estimator, X, y, fitted_attributes,
        estimator.max_iter + (estimator.solver == "lbfgs"),
    )  # fmt: skip
    history = estimator._previous_history(first_call, False)
    with engine, validation_engine or nullcontext():
        _training.train(
            engine.loss_and_gradient, theta, estimator._settings(False), np,
            validation_loss=validation_engine and validation_engine.loss,
            callbacks=callbacks, history=history,
        )  # fmt: skip
    callbacks.close()
    estimator._commit(fitted_attributes(), history, n_rows_seen)
    return estimator


# --- predict: one chunk at a time ---------------------------------------------


def _predict_block(X, estimator, method):
    with warnings.catch_warnings():
        # feature names were checked on the dask DataFrame, blocks are arrays
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        return getattr(estimator, method)(X)


def predict(estimator, X, method):
    """``estimator.method(X)`` as a lazy dask array, one task per chunk of X."""
    check_is_fitted(estimator)
    check_feature_names(estimator, _meta(X), reset=False)
    X = as_row_chunks(X, lengths=False)
    check_n_features(estimator, X, reset=False)
    n_columns = len(estimator.classes_)
    if method == "predict":
        dtype = estimator.classes_.dtype
        n_columns = n_columns if estimator._multilabel else None
    else:
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        if method == "decision_function":
            n_outputs = estimator.n_outputs_
            n_columns = n_outputs if n_outputs > 1 else None
    if n_columns is None:
        return X.map_blocks(
            _predict_block, estimator=estimator, method=method, dtype=dtype,
            drop_axis=1, meta=np.empty((0,), dtype),
        )  # fmt: skip
    return X.map_blocks(
        _predict_block, estimator=estimator, method=method, dtype=dtype,
        chunks=(X.chunks[0], (n_columns,)), meta=np.empty((0, 0), dtype),
    )  # fmt: skip
