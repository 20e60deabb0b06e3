"""TinyNetClassifier: a sigmoid network trained by full-batch backpropagation."""

import functools
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import _dask, _data, _engine, _network, _training
from ._compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
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


class TinyNetClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Sigmoid network classifier trained by full-batch gradient descent and backprop.

    The estimator behind the tutorial "A Neural Network in 11 lines of
    Python": every update uses the gradient of the loss over all training
    rows, computed by backpropagation. Hidden layers are fully connected; the
    output layer is one sigmoid for binary targets, independent sigmoids for
    multilabel targets and a softmax for multiclass targets.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Number of units in each hidden layer. ``()`` means no hidden layer
        (the tutorial's 2-layer network, a logistic regression).

    activation : {'logistic', 'tanh', 'relu', 'identity'}, default='logistic'
        Activation of the hidden layers; 'logistic' is the tutorial's sigmoid.

    solver : {'gd', 'lbfgs'}, default='lbfgs'
        'gd' is the tutorial's full-batch gradient descent, with optional
        momentum; 'lbfgs' is full-batch L-BFGS-B through scipy.

    loss : {'log_loss', 'squared_error'}, default='log_loss'
        'log_loss' is the cross-entropy of the output layer; 'squared_error'
        is the tutorial's loss, half the squared error of the sigmoid outputs
        summed over outputs. Both are averaged over samples.

    alpha : float, default=0.3
        Strength of the L2 penalty ``alpha / 2 * sum ||W||**2``, divided by
        the total sample weight (the number of rows, without weights), as in
        ``MLPClassifier``: a fixed prior per row, which fades as rows are
        added. Use ``alpha=0`` (or small values) for tiny data sets such as
        the tutorial's four rows, larger values for noisy labels.

    learning_rate_init : float, default=0.5
        Step size of 'gd'. The loss is a mean over samples, so the tutorial's
        summed update with step 1 is ``learning_rate_init = n_samples``.

    momentum : float, default=0.9
        Momentum of 'gd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'gd' uses Nesterov's momentum.

    max_iter : int, default=500
        Maximum number of full-batch weight updates (iterations of L-BFGS).
        Each costs about one pass over the rows, so a fit costs at most
        ``max_iter`` passes.

    tol : float, default=1e-5
        With 'gd', training stops when the loss has not improved by at least
        ``tol`` for more than ``n_iter_no_change`` consecutive updates. 'lbfgs'
        stops when the largest gradient component falls below ``tol`` (or
        the loss stops decreasing to machine precision); it ignores
        ``n_iter_no_change``, which would stop it on the plateaus that
        full-batch L-BFGS crosses. With ``early_stopping``, both stop on the
        validation loss by the first rule. Reaching ``max_iter`` first raises
        a ``ConvergenceWarning``, except with ``tol=0``, which asks for
        exactly ``max_iter`` iterations.

    n_iter_no_change : int, default=10
        Number of iterations without improvement tolerated before stopping
        ('gd', and early stopping with either solver).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop on their loss and
        keep the weights with the lowest validation loss. Rows are held out
        by a seeded hash of their content, so duplicated rows never straddle
        the split. ``partial_fit`` refuses ``early_stopping=True``.

    validation_fraction : float, default=0.1
        Expected share of rows held out with ``early_stopping``.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplied with ``sample_weight``.
        'balanced' weights classes inversely to their frequency. A dict's
        weights must be finite and non-negative. For multilabel targets only
        'balanced' is accepted.

    fit_intercept : bool, default=True
        Whether layers have biases; the tutorial's network has none.

    init : {'lecun_uniform', 'glorot_uniform', 'uniform'} or callable, \
            default='lecun_uniform'
        Initial weights. 'lecun_uniform' is LeCun et al.'s ``U(-b, b)`` with
        ``b = sqrt(3 / fan_in)``: with standardised inputs the units start on
        the curved part of their activation, whatever the layer's width.
        'glorot_uniform', the default of 0.1.0, is Glorot and Bengio's
        ``b = sqrt(2 / (fan_in + fan_out))`` for the sigmoid (6 for the
        others); 'uniform' is the tutorial's ``2 * U[0, 1) - 1``. A callable
        ``init(random_state, fan_in, fan_out)`` returns an array of finite
        numbers of shape ``(fan_in, fan_out)``. Weight matrices are drawn in
        layer order from the estimator's ``RandomState``, before any other
        draw; biases start at zero.

    warm_start : bool, default=False
        Reuse the previous solution as the starting point of ``fit``. The
        curves, ``n_iter_`` and ``t_`` continue. ``y`` must have the fitted
        classes, and ``loss``, ``activation``, ``fit_intercept`` and
        ``hidden_layer_sizes`` must be those of the fitted network.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the early-stopping split.

    n_jobs : int or None, default=None
        Threads computing the full-batch gradient over blocks of rows; None
        or -1 means all cores (at most 8), -2 all but one, and so on (at
        least one), as in joblib. Results are bit-identical for any value.

    verbose : bool, default=False
        Print the loss at every iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, or ``arange(n_outputs)`` for multilabel targets.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix from layer i to layer i+1, of shape
        ``(fan_in, fan_out)``: the tutorial's ``syn0``, ``syn1``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer i+1 (zeros when
        ``fit_intercept=False``).

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Output activation, 'logistic' or 'softmax'.

    loss_ : float
        Last value of ``loss_curve_``.

    loss_curve_ : list of float
        Training loss at each iteration: before the update with 'gd', after
        it with 'lbfgs'. Continues over warm starts and ``partial_fit`` calls;
        it has ``n_iter_`` entries.

    best_loss_ : float
        Lowest value of ``loss_curve_``.

    validation_loss_curve_ : list of float or None
        Validation loss at each iteration, aligned with ``loss_curve_`` (NaN
        for iterations of a continued fit without ``early_stopping``); None
        without ``early_stopping``.

    best_validation_loss_ : float or None
        Lowest validation loss of the last call to ``fit``, whose weights
        were kept; None without ``early_stopping``.

    n_iter_ : int
        Number of iterations run, counted over warm starts and ``partial_fit``
        calls like ``loss_curve_``. With 'gd', an iteration that stops
        training (``tol``) makes no update. (``MLPClassifier`` counts the last
        call only.)

    t_ : int
        Number of training rows seen by the solver: rows times iterations.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Multi-layer perceptron with
        mini-batch solvers.
    sklearn.linear_model.LogisticRegression : The network without hidden
        layers, with other solvers.

    Notes
    -----
    Data sets of up to 2**22 values (rows x features) are trained on in a
    canonical row order, with exact duplicate rows merged into one weighted
    row: results do not depend on the order of the rows, and an integer
    ``sample_weight`` of k gives exactly what k copies of the row give.

    The loss minimised is ``sum_i w_i L_i / sum_i w_i + alpha / 2 *
    sum ||W||**2 / sum_i w_i`` where ``w_i`` is the product of sample and
    class weights. The mean loss does not depend on the weights' scale; the
    penalty does, and is ``MLPClassifier``'s with the number of rows
    weighted: weights times ``s`` act as ``alpha / s``.
    Weights are scaled internally by a power of two, exactly, so no finite
    weights overflow. With ``solver='gd'`` each update is
    ``syn -= learning_rate_init * dloss/dsyn`` (plus momentum).

    Every update is checked, the last one included. When the loss or its
    gradient overflows, or a call ends with a higher loss than it started
    with, training has diverged: the weights with the lowest training loss
    seen in the call (the starting weights included) are kept, and a
    ``ConvergenceWarning`` says so.

    References
    ----------
    A. Trask, "A Neural Network in 11 lines of Python (Part 1)", 2015.

    X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
    feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tinynet import TinyNetClassifier
    >>> X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    >>> y = np.array([0, 1, 1, 0])
    >>> clf = TinyNetClassifier((4,), alpha=0.0, random_state=1).fit(X, y)
    >>> clf.predict(X)
    array([0, 1, 1, 0])
    >>> clf.predict_proba(X).shape
    (4, 2)
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"logistic", "tanh", "relu", "identity"})],
        "solver": [StrOptions({"gd", "lbfgs"})],
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
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

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="logistic",
        *,
        solver="lbfgs",
        loss="log_loss",
        alpha=0.3,
        learning_rate_init=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        max_iter=500,
        tol=1e-5,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        class_weight=None,
        fit_intercept=True,
        init="lecun_uniform",
        warm_start=False,
        random_state=None,
        n_jobs=None,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.loss = loss
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.fit_intercept = fit_intercept
        self.init = init
        self.warm_start = warm_start
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        tags.classifier_tags.multi_label = True
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
            Class labels, or a binary indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the loss.

        Returns
        -------
        self : TinyNetClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, None, False)

    def _check_gd(self):
        if self.solver != "gd":
            raise AttributeError(
                f"partial_fit is only available for solver='gd', not {self.solver!r}."
            )
        return True

    @available_if(_check_gd)
    @_restoring_state_on_error
    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Make one full-batch gradient-descent update on ``X`` and ``y``.

        The update is kept only if it does not raise the loss on ``X`` and
        ``y`` (checked with a second evaluation); otherwise the weights stay
        as they were and a ``ConvergenceWarning`` says so.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a binary indicator matrix for multilabel targets.
        classes : array-like of shape (n_classes,), default=None
            All classes that ``y`` may hold. Required on the first call,
            except for multilabel targets; afterwards None or the same
            classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the loss.

        Returns
        -------
        self : TinyNetClassifier
            The updated estimator.
        """
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call makes "
                "one update on all the rows it is given. Set early_stopping=False, "
                "or use fit."
            )
        return self._fit(X, y, sample_weight, classes, True)

    def _fit(self, X, y, sample_weight, classes, incremental):
        if _dask.is_dask_collection(X):  # trained on the cluster, kept there
            return _dask.fit(self, X, y, sample_weight, incremental)
        hidden_layer_sizes = _data.check_hidden_layer_sizes(self.hidden_layer_sizes)
        first_call = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        # the data: validated X, target matrix Y and per-row weights
        X, y, y_type = self._validate_training_data(X, y, first_call)
        X_given, y_given = X, y  # as validated, for callbacks that score the model
        model = self._output_layer(y, y_type, classes, first_call, incremental)
        Y = _data.encode_targets(y, y_type, model["classes_"], model["_multilabel"])
        X, Y, weights, counts, weight_exponent = self._rows_and_weights(
            X, Y, y_type, sample_weight, model["classes_"]
        )
        # the network: its layers and starting weights, in X's namespace
        layer_units = [X.shape[1], *hidden_layer_sizes, model["n_outputs_"]]
        layout = _engine.ParameterLayout(layer_units, self.fit_intercept)
        random_state = check_random_state(self.random_state)
        theta = _like(X, self._initial_theta(layout, random_state, first_call), X.dtype)
        net = _network.Network(self.activation, model["out_activation_"], self.loss)
        # the engines: training rows, and validation rows for early stopping
        train, validation, n_rows_seen = self._split(
            X, _like(X, Y), weights, counts, random_state, incremental
        )
        engine = self._engine(net, layout, *train, weight_exponent=weight_exponent)
        validation_loss = None
        if validation is not None:
            validation_loss = self._engine(net, layout, *validation).loss

        def fitted_attributes():
            return {**model, **_weights(theta, layout)}

        # training, then every fitted attribute written at once
        callbacks = _training.CallbackBridge(
            self, X_given, _like(X_given, y_given), fitted_attributes,
            1 if incremental else self.max_iter + (self.solver == "lbfgs"),
        )  # fmt: skip
        history = self._previous_history(first_call, incremental)
        with engine:
            _training.train(
                engine.loss_and_gradient, theta, self._settings(incremental),
                get_namespace(X)[0], validation_loss=validation_loss,
                callbacks=callbacks, history=history,
            )  # fmt: skip
        callbacks.close()
        self._commit(fitted_attributes(), history, n_rows_seen)
        return self

    def _validate_training_data(self, X, y, first_call):
        """X in its namespace (CSR if sparse), y in numpy, and y's type."""
        xp, is_array_api, device = get_namespace_and_device(X)
        on_numpy = not is_array_api or is_numpy_namespace(xp)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"] if on_numpy else False,
            dtype=[xp.float64, xp.float32],
            multi_output=True,
            reset=first_call,
        )
        if sp.issparse(X):
            X = X.tocsr()  # row blocks
        y = to_numpy(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        y_type = type_of_target(y)
        if y_type not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(
                f"Unknown label type: {y_type}. y must hold class labels (binary "
                "or multiclass) or be a binary indicator matrix (multilabel); "
                "for several multiclass outputs, wrap the classifier in "
                "sklearn.multioutput.MultiOutputClassifier."
            )
        return X, y, y_type

    def _output_layer(self, y, y_type, classes, first_call, incremental):
        """The fitted attributes that describe the labels and the output layer."""
        if not first_call:
            self._check_continuation(y, y_type, classes, incremental)
            return {
                "classes_": self.classes_,
                "_multilabel": self._multilabel,
                "n_outputs_": self.n_outputs_,
                "out_activation_": self.out_activation_,
                "_network_params": self._network_params,
            }
        multilabel = y_type == "multilabel-indicator"
        if incremental and not multilabel and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: "
                "give every label y may hold, e.g. classes=np.unique(y_all)."
            )
        if multilabel and incremental and classes is not None:
            _data.check_multilabel_classes(to_numpy(classes), y.shape[1])
        given = to_numpy(classes) if incremental and not multilabel else None
        classes_ = _data.find_classes(y, y_type, given)
        n_outputs = 1 if len(classes_) == 2 and not multilabel else len(classes_)
        softmax = self.loss == "log_loss" and not multilabel and n_outputs > 1
        return {
            "classes_": classes_,
            "_multilabel": multilabel,
            "n_outputs_": n_outputs,
            "out_activation_": "softmax" if softmax else "logistic",
            "_network_params": self._current_network_params(),
        }

    def _current_network_params(self):
        return {
            "loss": self.loss,
            "activation": self.activation,
            "fit_intercept": self.fit_intercept,
        }

    def _check_continuation(self, y, y_type, classes, incremental):
        """A warm start or partial_fit continues the fitted network, on its classes."""
        for name, fitted in self._network_params.items():
            if getattr(self, name) != fitted:
                raise ValueError(
                    f"{name}={getattr(self, name)!r} differs from {name}="
                    f"{fitted!r}, with which the network was fitted; warm_start "
                    f"and partial_fit continue training that network. Set "
                    f"{name}={fitted!r} again, or fit a new model (warm_start="
                    "False, or a new estimator for partial_fit)."
                )
        if self._multilabel or y_type == "multilabel-indicator":
            if incremental and classes is not None:
                _data.check_multilabel_classes(to_numpy(classes), len(self.classes_))
            return  # encode_targets checks the kind of target and its width
        if incremental and classes is not None:
            given = unique_labels(to_numpy(classes))
            if not np.array_equal(given, self.classes_):
                raise ValueError(
                    f"`classes={to_numpy(classes)!r}` is not the same as on last "
                    f"call to partial_fit, was: {self.classes_!r}. Pass the same "
                    "classes (or none) after the first call, or fit a new model."
                )
        if not incremental:
            labels = unique_labels(y)
            if not np.array_equal(labels, self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    f"as in the previous call to fit. Previously got "
                    f"{self.classes_}, `y` has {labels}. Fit a new model "
                    "(warm_start=False) to train on other classes."
                )

    def _rows_and_weights(self, X, Y, y_type, sample_weight, classes):
        """Canonical rows when small, and each row's sample x class weight.

        The weights are float64 and scaled by a power of two, ``2**-exponent``,
        so that their sum cannot overflow; also returns ``exponent``.
        """
        if sample_weight is not None:
            sample_weight = _like(X, to_numpy(sample_weight))
        weights = to_numpy(
            check_sample_weight(
                sample_weight,
                X,
                dtype=np.float64 if _is_numpy(X) else X.dtype,
                ensure_non_negative=True,
            )
        )
        weights, exponent = _data.scaled_by_power_of_two(weights)
        counts = np.ones(X.shape[0], dtype=np.intp)
        small = X.shape[0] * X.shape[1] <= _data.CANONICAL_MAX_ELEMENTS
        if _is_numpy(X) and small:
            X, Y, weights, counts = _data.canonical_rows(X, Y, weights)
        if self.class_weight is not None:
            labels = Y if Y.ndim == 2 else classes[Y]
            factors, factor_exponent = _data.scaled_by_power_of_two(
                _data.class_weight_per_row(
                    self.class_weight, labels, y_type, weights, classes
                )
            )
            weights, exponent = weights * factors, exponent + factor_exponent
        if not weights.sum() > 0:
            product = " times class_weight" if self.class_weight is not None else ""
            raise ValueError(
                f"sample_weight{product} sums to zero: give at least one row a "
                "positive weight."
            )
        return X, Y, weights, counts, exponent

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

    def _split(self, X, Y, weights, counts, random_state, incremental):
        """(X, Y, weights) of the training rows and of the validation rows.

        The validation part is None without early stopping. Also returns the
        number of original rows behind the training rows.
        """
        if not self.early_stopping or incremental:
            return (X, Y, weights), None, int(counts.sum())
        seed = random_state.randint(np.iinfo(np.int32).max)
        val = _data.validation_mask(
            to_numpy(X), to_numpy(Y), weights, self.validation_fraction, seed
        )
        n_rows_seen = int(counts[~val].sum())
        train_weights, val_weights = weights[~val], weights[val]
        val = _like(X, val)
        return (
            (X[~val], Y[~val], train_weights),
            (X[val], Y[val], val_weights),
            n_rows_seen,
        )

    def _engine(self, net, layout, X, Y, weights, weight_exponent=None):
        """The engine of rows X; weights normalised to a mean, alpha with them.

        ``weights * 2**weight_exponent`` are the rows' sample x class weights;
        the penalty, for the training rows only (``weight_exponent`` given),
        is ``alpha / 2 * sum ||W||**2`` over their sum, as in MLPClassifier.
        """
        total_weight = float(weights.sum())
        alpha = 0.0
        if weight_exponent is not None:
            alpha = _data.penalty_per_weight(self.alpha, total_weight, weight_exponent)
        return _engine.LocalEngine(
            net,
            layout,
            X,
            Y,
            _like(X, weights / total_weight, X.dtype),
            alpha=alpha,
            n_threads=_engine.effective_n_threads(self.n_jobs),
            xp=get_namespace(X)[0],
            device=None if _is_numpy(X) else X.device,
        )

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
            n_iter=self.n_iter_,
            n_iter_before=self.n_iter_,
            rows_seen=self.t_,
            velocity=None if velocity is None else velocity * 1,  # a copy
            warned_divergence=incremental
            and getattr(self, "_warned_divergence", False),
        )

    def _commit(self, attributes, history, n_rows_seen):
        """Write every fitted attribute, at the end of a successful fit."""
        attributes.update(
            loss_curve_=history.loss_curve,
            loss_=history.loss_curve[-1] if history.loss_curve else np.nan,
            best_loss_=history.best_loss,
            n_iter_=history.n_iter,
            t_=history.rows_seen
            + (history.n_iter - history.n_iter_before) * n_rows_seen,
            _velocity=history.velocity,
            _warned_divergence=history.warned_divergence,
            validation_loss_curve_=history.validation_loss_curve,
            best_validation_loss_=history.best_validation_loss,
        )
        for name, value in attributes.items():
            setattr(self, name, value)

    def _forward_logits(self, X):
        """The output layer's logits z of validated X, (n_samples, n_outputs)."""
        xp, _ = get_namespace(X)
        net = _network.Network(self.activation, self.out_activation_, self.loss)
        with np.errstate(over="ignore", invalid="ignore"):
            z = net.forward(self.coefs_, self.intercepts_, X, xp)[-1]
        finite = to_numpy(xp.all(xp.isfinite(z), axis=1))
        if not finite.all():
            rows = np.flatnonzero(~finite)
            raise ValueError(
                f"X is too large for the fitted network: the outputs of {rows.size}"
                f" row(s) overflow (the first is row {rows[0]}). Transform X as "
                "the training data were (e.g. a Pipeline with StandardScaler), "
                "or clip its extreme values."
            )
        return z

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

    def decision_function(self, X):
        """Output layer before its activation (the logits).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column for binary targets, raveled.
        """
        if _dask.is_dask_collection(X):  # lazily, one chunk at a time
            return _dask.predict(self, X, "decision_function")
        X = self._validate_for_predict(X, "decision_function")
        z = self._forward_logits(X)
        xp, _ = get_namespace(z)
        return xp.reshape(z, (-1,)) if z.shape[1] == 1 else z

    def predict(self, X):
        """Predict class labels (or the indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted labels.
        """
        if _dask.is_dask_collection(X):  # lazily, one chunk at a time
            return _dask.predict(self, X, "predict")
        X = self._validate_for_predict(X, "predict")
        z = self._forward_logits(X)
        xp, _, device = get_namespace_and_device(z)
        if self._multilabel:
            return xp.astype(z > 0, xp.int64)
        if z.shape[1] == 1:
            index = xp.astype(z[:, 0] > 0, xp.int64)
        else:
            index = xp.argmax(z, axis=1)
        if isinstance(index, np.ndarray):
            return self.classes_[index]
        return xp.take(xp.asarray(self.classes_, device=device), index, axis=0)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed without log(0).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        if _dask.is_dask_collection(X):  # lazily, one chunk at a time
            return _dask.predict(self, X, "predict_log_proba")
        X = self._validate_for_predict(X, "predict_log_proba")
        z = self._forward_logits(X)
        xp, _ = get_namespace(z)
        return _network.output_log_proba(z, self.out_activation_, self._multilabel, xp)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` against ``y``.

        For multilabel targets this is the subset accuracy: a row counts as
        right only when every label is.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.

        Returns
        -------
        score : float
            Mean accuracy.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        """Class probabilities; rows sum to one except for multilabel targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``. For
            multilabel targets, the probability of each label.
        """
        if _dask.is_dask_collection(X):  # lazily, one chunk at a time
            return _dask.predict(self, X, "predict_proba")
        X = self._validate_for_predict(X, "predict_proba")
        # from the logits directly: exp(log_proba) would lose the sum to one
        # where large logits make log_proba inexact (float32)
        z = self._forward_logits(X)
        xp, _ = get_namespace(z)
        return _network.output_proba(z, self.out_activation_, self._multilabel, xp)


def _is_numpy(X):
    return isinstance(X, np.ndarray) or sp.issparse(X)


def _like(X, array, dtype=None):
    """A numpy array in the namespace and on the device of X; numpy stays numpy."""
    if _is_numpy(X):
        return array if dtype is None else array.astype(dtype, copy=False)
    xp, _, device = get_namespace_and_device(X)
    array = xp.asarray(array, device=device)
    return array if dtype is None else xp.astype(array, dtype)


def _weights(theta, layout):
    """coefs_, intercepts_ (zeros without biases) and n_layers_ of ``theta``."""
    xp = get_namespace(theta)[0]
    coefs, intercepts = layout.views(copy(theta), xp)
    intercepts = [
        _like(W, np.zeros(W.shape[1]), W.dtype) if b is None else b
        for W, b in zip(coefs, intercepts)
    ]
    return {"coefs_": coefs, "intercepts_": intercepts, "n_layers_": len(coefs) + 1}
