"""The one fit path of TinyNet's estimators: parameters, fit, partial_fit, predict."""

import functools
import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _dask, _data, _engine, _network, _rows, _training
from ._compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
    check_feature_names,
    check_n_features,
    check_same_namespace,
    check_sample_weight,
    copy,
    fit_context,
    get_namespace,
    get_namespace_and_device,
    is_numpy_namespace,
    to_numpy,
)


def _restoring_state_on_error(fit_method):
    """Decorate ``fit_method`` so that any exception leaves the estimator as it was.

    Outside scikit-learn's ``_fit_context``, so that errors from callbacks'
    teardown, which runs after the fit method returns, are covered too.
    Attributes are only ever replaced, never modified in place, so a shallow
    copy of ``__dict__`` is the whole state.
    """

    @functools.wraps(fit_method)
    def wrapper(estimator, *args, **kwargs):
        state = estimator.__dict__.copy()
        try:
            return fit_method(estimator, *args, **kwargs)
        except BaseException:
            estimator.__dict__.clear()
            estimator.__dict__.update(state)
            raise

    return wrapper


def lazy_on_dask(predict_method):
    """Decorate a predict method: on a dask collection, a lazy dask array of
    the method mapped over X's chunks."""

    @functools.wraps(predict_method)
    def wrapper(estimator, X):
        if not _dask.is_dask_collection(X):
            return predict_method(estimator, X)
        check_is_fitted(estimator)
        check_feature_names(estimator, _dask.meta(X), reset=False)
        X = _dask.as_row_chunks(X, lengths=False)
        check_n_features(estimator, X, reset=False)
        name = predict_method.__name__
        dtype, n_columns = estimator._prediction_shape(name, _float_dtype(X.dtype))
        return _dask.predict_lazily(getattr(estimator, name), X, dtype, n_columns)

    return wrapper


def _float_dtype(dtype):
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


# growing_sample="auto": L-BFGS starts on this many rows when there are at
# least GROWING_SAMPLE_MIN_ROWS training rows. On 80,000 rows it reached
# given accuracies sooner but ended 0.6 points lower at max_iter; on 400,000
# it ended higher in half the time (docs/defaults.rst).
GROWING_SAMPLE_INITIAL_ROWS = 10_000
GROWING_SAMPLE_MIN_ROWS = 200_000


class BaseTinyNet(CallbackSupportMixin, BaseEstimator):
    """What TinyNet's classifier and regressor share: the network, the fit.

    A subclass supplies its targets: ``_check_targets`` (y's type),
    ``_output_layer`` (the fitted attributes of the output layer),
    ``_encoder`` (the per-part step that turns y into the target matrix),
    ``_class_weight_spec`` and ``_prediction_shape``.
    """

    _y_numeric = False  # y validated as numbers (regression)

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"logistic", "tanh", "relu", "identity"})],
        "solver": [StrOptions({"gd", "lbfgs"})],
        "growing_sample": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "fit_intercept": ["boolean"],
        "init": [StrOptions(set(_network.INITS)), callable],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "verbose": ["verbose"],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags

    @_restoring_state_on_error
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y`` by full-batch training.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, None, False)

    def _check_gd(self):
        if self.solver != "gd":
            raise AttributeError(
                f"partial_fit is only available for solver='gd', not {self.solver!r}."
            )
        return True

    def _partial_fit(self, X, y, classes, sample_weight):
        """partial_fit's one update; the subclasses' partial_fit decorate it."""
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call makes "
                "one update on all the rows it is given. Set early_stopping=False, "
                "or use fit."
            )
        return self._fit(X, y, sample_weight, classes, True)

    # --- the fit ------------------------------------------------------------

    def _fit(self, X, y, sample_weight, classes, incremental):
        hidden_layer_sizes = _data.check_hidden_layer_sizes(self.hidden_layer_sizes)
        first_call = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        # the rows, in memory or on a dask cluster, and their target matrix
        rows, X_given, y_given, theta_like = self._input_rows(
            X, y, sample_weight, first_call, incremental
        )
        y_type = self._check_targets(rows.target_summary(), first_call)
        model = self._output_layer(
            rows.target_summary(), y_type, classes, first_call, incremental
        )
        model["_sparse_y"] = sp.issparse(y)  # predict answers in the same form
        step, kwargs = self._encoder(model, y_type)
        rows = rows.map(step, **kwargs)
        rows, model = self._scaled_targets(
            rows, model, new_scale=first_call or not incremental
        )
        # the network: its layers and starting weights, in X's namespace
        layer_units = [self.n_features_in_, *hidden_layer_sizes, model["n_outputs_"]]
        layout = _engine.ParameterLayout(layer_units, self.fit_intercept)
        random_state = check_random_state(self.random_state)
        theta = self._initial_theta(layout, random_state, first_call)
        if not first_call:
            self._rescale_output_layer(theta, layout, model, to_targets=False)
        theta = _rows.like(theta_like, theta, theta_like.dtype)
        net = _network.Network(self.activation, model["out_activation_"], self.loss)
        # the sources: training rows, and validation rows for early stopping
        split = None
        if self.early_stopping and not incremental:
            split = (
                self.validation_fraction,
                random_state.randint(np.iinfo(np.int32).max),
            )
        prepared = _rows.prepare(
            rows, net, layout, alpha=self.alpha,
            n_threads=_engine.effective_n_threads(self.n_jobs),
            class_weight=self._class_weight_spec(model), split=split,
            growth=self._growth(random_state, first_call),
        )  # fmt: skip
        del rows
        history = self._previous_history(first_call, incremental)
        # original rows behind each growing sample, then all training rows
        sample_rows = [sample.n_rows_seen for sample, _ in prepared.samples]
        sample_rows.append(prepared.n_rows_seen)
        previous_sizes = [] if first_call else getattr(self, "sample_size_curve_", [])

        def fitted_attributes():
            """The model as if training stopped now: callbacks' snapshots,
            which share nothing that training goes on changing."""
            fitted = copy(theta)
            self._rescale_output_layer(fitted, layout, model, to_targets=True)
            return {
                **model,
                **_weights(fitted, layout),
                **_history_attributes(history, sample_rows, previous_sizes),
            }

        # training, then every fitted attribute written at once
        callbacks = _training.CallbackBridge(
            self, X_given, y_given, fitted_attributes,
            1 if incremental else self.max_iter + (self.solver == "lbfgs"),
        )  # fmt: skip
        with prepared:
            validation_loss = prepared.validation and prepared.validation.loss
            _training.train(
                prepared.train.loss_and_gradient, theta, self._settings(incremental),
                get_namespace(theta)[0], validation_loss=validation_loss,
                callbacks=callbacks, history=history, samples=prepared.samples,
            )  # fmt: skip
        callbacks.close()
        self._commit(fitted_attributes())
        return self

    def _input_rows(self, X, y, sample_weight, first_call, incremental):
        """Rows of the input, X and y for callbacks, and an array of the
        namespace, device and dtype of the weights."""
        if _dask.is_dask_collection(X):  # trained on the cluster, kept there
            if incremental:
                raise ValueError(
                    "partial_fit takes in-memory arrays only; pass dask "
                    "collections to fit, which trains on all their rows."
                )
            check_feature_names(self, _dask.meta(X), reset=first_call)
            X_chunks = _dask.as_row_chunks(X)
            if X_chunks.shape[0] < 1:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X_chunks.shape}) while "
                    f"a minimum of 1 is required by {type(self).__name__}."
                )
            check_n_features(self, X_chunks, reset=first_call)
            rows = _dask.rows(
                X_chunks, y, sample_weight, type(self).__name__, self._y_numeric
            )
            return rows, X, y, np.empty(0, _float_dtype(X_chunks.dtype))
        X, y = self._validate_training_data(X, y, first_call)
        if sample_weight is not None:
            sample_weight = _rows.like(X, to_numpy(sample_weight))
        weights = to_numpy(
            check_sample_weight(
                sample_weight,
                X,
                dtype=np.float64 if _is_numpy(X) else X.dtype,
                ensure_non_negative=True,
            )
        )
        counts = np.ones(X.shape[0], dtype=np.intp)
        rows = _rows.LocalRows((X, y, weights, counts), y)
        # labels of no Array API dtype (str, object) stay numpy, as classes_
        y_given = y if y.dtype.kind in "OUS" else _rows.like(X, y)
        return rows, X, y_given, X

    def _validate_training_data(self, X, y, first_call):
        """X in its namespace (CSR if sparse), y in numpy, a column raveled."""
        xp, is_array_api, device = get_namespace_and_device(X)
        on_numpy = not is_array_api or is_numpy_namespace(xp)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"] if on_numpy else False,
            dtype=[xp.float64, xp.float32],
            multi_output=True,
            y_numeric=self._y_numeric,
            reset=first_call,
        )
        if sp.issparse(X):
            X = X.tocsr()  # row blocks
        y = to_numpy(y)
        if sp.issparse(y):  # a sparse indicator matrix: its few columns, dense
            y = y.toarray()
        return X, _data.ravel_column(y)

    def _class_weight_spec(self, model):
        """None, or (class_weight, classes, multilabel) for ``_rows.prepare``."""
        return None

    def _scaled_targets(self, rows, model, new_scale):
        """Rows whose targets are trained on in another scale, and the model."""
        return rows, model

    def _rescale_output_layer(self, theta, layout, model, to_targets):
        """Between the scale trained on and the targets' own, in place."""

    def _current_network_params(self):
        return {
            "loss": self.loss,
            "activation": self.activation,
            "fit_intercept": self.fit_intercept,
        }

    def _check_network_params(self):
        """A warm start or partial_fit continues the fitted network."""
        for name, fitted in self._network_params.items():
            if getattr(self, name) != fitted:
                raise ValueError(
                    f"{name}={getattr(self, name)!r} differs from {name}="
                    f"{fitted!r}, with which the network was fitted; warm_start "
                    f"and partial_fit continue training that network. Set "
                    f"{name}={fitted!r} again, or fit a new model (warm_start="
                    "False, or a new estimator for partial_fit)."
                )

    def _initial_theta(self, layout, random_state, first_call):
        """The flat parameter vector to start from, in float64 numpy."""
        theta = np.zeros(layout.size)
        coefs, intercepts = layout.views(theta)
        if first_call:  # weight matrices drawn in layer order; biases start at 0
            for W, (fan_in, fan_out) in zip(coefs, layout.shapes):
                W[...] = self._draw_weights(random_state, fan_in, fan_out)
            return theta
        shapes = [W.shape for W in self.coefs_]
        if shapes != layout.shapes:
            raise ValueError(
                f"The fitted layers have shapes {shapes} but the parameters ask "
                f"for {layout.shapes}; keep hidden_layer_sizes unchanged with "
                "warm_start or partial_fit, or fit a new model."
            )
        for W, b, W_fit, b_fit in zip(coefs, intercepts, self.coefs_, self.intercepts_):
            W[...] = to_numpy(W_fit)
            if b is not None:
                b[...] = to_numpy(b_fit)
        return theta

    def _draw_weights(self, random_state, fan_in, fan_out):
        if not callable(self.init):
            init = _network.INITS[self.init]
            return init(random_state, fan_in, fan_out, self.activation)
        W = np.asarray(self.init(random_state, fan_in, fan_out))
        layer = f"a layer with fan_in={fan_in}, fan_out={fan_out}"
        if W.shape != (fan_in, fan_out):
            raise ValueError(
                f"init returned an array of shape {W.shape} for {layer}; it "
                "must return shape (fan_in, fan_out)."
            )
        if W.dtype.kind not in "biuf" or not np.isfinite(W).all():
            raise ValueError(
                f"init returned weights for {layer} that are not all finite real "
                "numbers (NaN, infinity or another type); it must return finite "
                "weights."
            )
        return W

    def _growth(self, random_state, first_call):
        """(initial rows, fewest rows, seed) of a growing sample, or None.

        A warm start continues on all rows: its samples would pull trained
        weights towards their own optima.
        """
        if self.solver != "lbfgs" or not first_call or self.growing_sample is None:
            return None
        initial, min_rows = self.growing_sample, 2 * self.growing_sample
        if self.growing_sample == "auto":
            initial, min_rows = GROWING_SAMPLE_INITIAL_ROWS, GROWING_SAMPLE_MIN_ROWS
        # drawn last, so that full-batch fits draw as they always did
        return initial, min_rows, random_state.randint(np.iinfo(np.int32).max)

    def _settings(self, incremental):
        return _training.Settings(
            solver=self.solver,
            max_iter=1 if incremental else self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            learning_rate=self.learning_rate_init,
            momentum=self.momentum,
            nesterov=self.nesterovs_momentum,
            verbose=self.verbose,
            incremental=incremental,
        )

    def _previous_history(self, first_call, incremental):
        """A new history, or the fitted one to continue (warm_start, partial_fit)."""
        if first_call:
            return _training.History()
        velocity = self._velocity if incremental else None
        validation_curve = self.validation_loss_curve_
        return _training.History(
            loss_curve=list(self.loss_curve_),
            validation_loss_curve=None
            if validation_curve is None
            else list(validation_curve),
            best_loss=min(self.loss_curve_, default=np.inf),
            rows_seen=self.t_,
            velocity=None if velocity is None else velocity * 1,  # a copy
            warned_divergence=incremental
            and getattr(self, "_warned_divergence", False),
        )

    def _commit(self, attributes):
        """Write every fitted attribute, at the end of a successful fit."""
        for name, value in attributes.items():
            setattr(self, name, value)

    # --- predictions ----------------------------------------------------------

    def _forward_logits(self, X, then=None):
        """``then(z, xp)`` of the output layer's logits z of validated X,
        (n_samples, n_outputs), or z itself.

        numpy X is computed in blocks of rows (``_engine.in_blocks``), on
        threads: one block's layers at a time in memory.
        """
        xp, _ = get_namespace(X)
        net = _network.Network(self.activation, self.out_activation_, self.loss)

        overflowing = []  # rows whose logits or outputs overflowed, per block

        def outputs(X_block, start):
            with np.errstate(over="ignore", invalid="ignore"):
                z = net.forward(self.coefs_, self.intercepts_, X_block, xp)[-1]
                out = z if then is None else then(z, xp)
            finite = xp.all(xp.isfinite(z), axis=1) & xp.all(xp.isfinite(out), axis=1)
            overflowing.append(start + np.flatnonzero(~to_numpy(finite)))
            return out

        if _is_numpy(X):
            layer_units = [X.shape[1], *(W.shape[1] for W in self.coefs_)]
            n_threads = _engine.effective_n_threads(self.n_jobs)
            result = _engine.in_blocks(outputs, X, layer_units, n_threads)
        else:  # a GPU is parallel within a block
            result = outputs(X, 0)
        _refuse_overflowing_rows(np.sort(np.concatenate(overflowing)))
        return result

    @property
    def _first_coefs(self):
        # an array attribute, for check_same_namespace (coefs_ is a list)
        return self.coefs_[0]

    def _validate_for_predict(self, X, method):
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="_first_coefs", method=method)
        xp, is_array_api = get_namespace(X)
        on_numpy = not is_array_api or is_numpy_namespace(xp)
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"] if on_numpy else False,
            dtype=[xp.float64, xp.float32],
            reset=False,
        )


def _history_attributes(history, sample_rows, previous_sizes):
    """The fitted attributes of ``history``, copies of its curves and momentum.

    ``sample_rows`` are the rows behind each growing sample, then behind all
    training rows; ``previous_sizes`` the continued fit's sample_size_curve_.
    """
    curve, velocity = history.validation_loss_curve, history.velocity
    stages = history.sample_of_iteration or [-1] * history.n_iter
    sizes = [sample_rows[k] for k in stages]  # this call's iterations
    n_before = len(history.loss_curve) - history.n_iter
    return {
        "loss_curve_": list(history.loss_curve),
        "loss_": _returned_loss(history),
        "best_loss_": history.best_loss,
        "n_iter_": history.n_iter,
        "t_": history.rows_seen + sum(sizes),
        "sample_size_curve_": list(previous_sizes)[:n_before] + sizes,
        "_velocity": None if velocity is None else copy(velocity),
        "_warned_divergence": history.warned_divergence,
        "validation_loss_curve_": None if curve is None else list(curve),
        "best_validation_loss_": history.best_validation_loss,
    }


def _returned_loss(history):
    """``loss_``: the training loss of the weights returned."""
    if history.returned_loss is not None:  # divergence: weights kept
        return history.returned_loss if math.isfinite(history.returned_loss) else np.nan
    return history.loss_curve[-1] if history.loss_curve else np.nan


def _refuse_overflowing_rows(rows):
    """ValueError naming the rows whose outputs overflowed, if any."""
    if rows.size:
        raise ValueError(
            f"X is too large for the fitted network: the outputs of {rows.size}"
            f" row(s) overflow (the first is row {rows[0]}). Transform X as "
            "the training data were (e.g. a Pipeline with StandardScaler), "
            "or clip its extreme values."
        )


def _is_numpy(X):
    return isinstance(X, np.ndarray) or sp.issparse(X)


def _weights(theta, layout):
    """coefs_, intercepts_ (zeros without biases) and n_layers_ of ``theta``."""
    xp = get_namespace(theta)[0]
    coefs, intercepts = layout.views(copy(theta), xp)
    intercepts = [
        _rows.like(W, np.zeros(W.shape[1]), W.dtype) if b is None else b
        for W, b in zip(coefs, intercepts)
    ]
    return {"coefs_": coefs, "intercepts_": intercepts, "n_layers_": len(coefs) + 1}
