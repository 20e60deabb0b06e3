"""TinyNetClassifier: a sigmoid network trained by full-batch backpropagation."""

import hashlib
import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._array_api import (
    _convert_to_numpy,
    _is_numpy_namespace,
    get_namespace,
    get_namespace_and_device,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _network, _solvers

try:  # scikit-learn >= 1.8
    from sklearn.utils._array_api import check_same_namespace
except ImportError:  # older scikit-learn runs no such check

    def check_same_namespace(X, estimator, *, attribute, method):
        pass


try:  # scikit-learn >= 1.9: set_callbacks, ProgressBar, ScoringMonitor
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # older scikit-learn: no callback API, nothing else changes

    class CallbackSupportMixin:
        pass


INIT_FUNCTIONS = {
    "glorot_uniform": _network.init_glorot_uniform,
    "uniform": _network.init_uniform,
}


def _check_hidden_layer_sizes(hidden_layer_sizes):
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


def _validation_mask(X, Y, weights, fraction, seed):
    """Rows held out for early stopping, chosen by a seeded hash of each row.

    A row's side depends only on its content (features and target) and the
    seed: duplicated rows never straddle the split, the split does not depend
    on row order, and an integer ``sample_weight`` of k holds out exactly
    what k copies of the row would. Rows of zero weight stay in training,
    where they count for nothing.
    """
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
    u[weights == 0] = np.inf
    mask = u < fraction
    if not mask.any():
        mask = u == u.min()
    return mask


# Data sets up to this size (rows x features) are put in canonical row order
# with duplicates merged; beyond it, the copy of X this needs costs more memory
# than it is worth.
CANONICAL_MAX_ELEMENTS = 2**22


def _canonical_rows(X, Y, weights):
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


class TinyNetClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Sigmoid network classifier trained by full-batch gradient descent and backprop.

    The estimator behind the tutorial "A Neural Network in 11 lines of
    Python": every update uses the gradient of the loss over all training
    rows, computed by backpropagation. Hidden layers are fully connected; the
    output layer is one sigmoid for binary targets, independent sigmoids for
    multilabel targets and a softmax for multiclass targets.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(32,)
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

    alpha : float, default=0.5
        Strength of the L2 penalty ``alpha / 2 * sum ||W||**2``, divided by
        the total sample weight like the loss. Use ``alpha=0`` (or small
        values) for tiny data sets such as the tutorial's four rows.

    learning_rate_init : float, default=0.5
        Step size of 'gd'. The loss is a mean over samples, so the tutorial's
        summed update with step 1 is ``learning_rate_init = n_samples``.

    momentum : float, default=0.9
        Momentum of 'gd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'gd' uses Nesterov's momentum.

    max_iter : int, default=200
        Maximum number of full-batch weight updates (iterations of L-BFGS).

    tol : float, default=1e-4
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
        the split.

    validation_fraction : float, default=0.1
        Expected share of rows held out with ``early_stopping``.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplied with ``sample_weight``.
        'balanced' weights classes inversely to their frequency. For
        multilabel targets only 'balanced' is accepted.

    fit_intercept : bool, default=True
        Whether layers have biases; the tutorial's network has none.

    init : {'glorot_uniform', 'uniform'} or callable, default='glorot_uniform'
        Initial weights. 'glorot_uniform' is Glorot and Bengio's uniform
        scheme; 'uniform' is the tutorial's ``2 * U[0, 1) - 1``. A callable
        ``init(random_state, fan_in, fan_out)`` returns an array of shape
        ``(fan_in, fan_out)``. Weight matrices are drawn in layer order from
        the estimator's ``RandomState``, before any other draw; biases start
        at zero.

    warm_start : bool, default=False
        Reuse the previous solution as the starting point of ``fit``.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the early-stopping split.

    n_jobs : int or None, default=None
        Threads computing the full-batch gradient over blocks of rows; None
        or -1 means all cores (at most 8). Results are bit-identical for any
        value.

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
        Training loss of the weights before the last update.

    loss_curve_ : list of float
        Training loss before each update.

    best_loss_ : float
        Lowest training loss reached.

    validation_loss_curve_ : list of float
        Validation loss before each update; only with ``early_stopping``.

    best_validation_loss_ : float
        Lowest validation loss, whose weights were kept; only with
        ``early_stopping``.

    n_iter_ : int
        Number of iterations run by the solver in the last call to ``fit``.

    t_ : int
        Number of training rows seen by the solver: rows times updates.

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
    class weights. With ``solver='gd'`` each update is
    ``syn -= learning_rate_init * dloss/dsyn`` (plus momentum).

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
        "init": [StrOptions(set(INIT_FUNCTIONS)), callable],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(32,),
        activation="logistic",
        *,
        solver="lbfgs",
        loss="log_loss",
        alpha=0.5,
        learning_rate_init=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        class_weight=None,
        fit_intercept=True,
        init="glorot_uniform",
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

    @_fit_context(prefer_skip_nested_validation=True)
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
        return self._fit_keeping_state_on_error(X, y, sample_weight, None, False)

    def _check_gd(self):
        if self.solver != "gd":
            raise AttributeError(
                f"partial_fit is only available for solver='gd', not {self.solver!r}."
            )
        return True

    @available_if(_check_gd)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Make one full-batch gradient-descent update on ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a binary indicator matrix for multilabel targets.
        classes : array-like of shape (n_classes,), default=None
            All classes that ``y`` may hold. Required on the first call,
            except for multilabel targets; ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the loss.

        Returns
        -------
        self : TinyNetClassifier
            The updated estimator.
        """
        return self._fit_keeping_state_on_error(X, y, sample_weight, classes, True)

    def _fit_keeping_state_on_error(self, X, y, sample_weight, classes, incremental):
        # A failed or interrupted fit leaves the previous model as it was:
        # attributes are only replaced, never modified in place.
        state = self.__dict__.copy()
        try:
            return self._fit(X, y, sample_weight, classes, incremental)
        except BaseException:
            # scikit-learn's callback bookkeeping, torn down after fit returns
            bookkeeping = {
                key: value
                for key, value in self.__dict__.items()
                if key in ("_callback_fit_ctx", "_skl_callbacks_to_teardown")
            }
            self.__dict__.clear()
            self.__dict__.update(state)
            self.__dict__.update(bookkeeping)
            raise

    def _fit(self, X, y, sample_weight, classes, incremental):
        hidden_layer_sizes = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        fitted = hasattr(self, "coefs_")
        first_call = not fitted or not (self.warm_start or incremental)
        # Array API: X's namespace and device hold the data and the weights;
        # labels are handled in numpy, as setup before training
        xp, is_array_api, device = get_namespace_and_device(X)
        on_numpy = not is_array_api or _is_numpy_namespace(xp)
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
        y = _to_numpy(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        y_type = type_of_target(y)
        # class codes (n_samples,), or the indicator matrix for multilabel y;
        # expanded to the target matrix one block of rows at a time
        Y = self._encode_targets(y, y_type, classes, first_call, incremental)
        if Y.ndim == 2:
            n_outputs = Y.shape[1]
        else:
            n_outputs = 1 if len(self.classes_) == 2 else len(self.classes_)

        if sample_weight is not None:
            sample_weight = xp.asarray(_to_numpy(sample_weight), device=device)
        weights = _to_numpy(
            _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        )
        X_fit, y_fit = X, y  # as given, for callbacks that score the model
        counts = np.ones(X.shape[0], dtype=np.intp)
        if on_numpy and X.shape[0] * X.shape[1] <= CANONICAL_MAX_ELEMENTS:
            X, Y, weights, counts = _canonical_rows(X, Y, weights)
        if self.class_weight is not None:
            if y_type == "multilabel-indicator" and self.class_weight != "balanced":
                raise ValueError(
                    "class_weight for multilabel targets must be 'balanced' or None; "
                    "a dict of class weights is only defined for single-output y."
                )
            self._check_class_weight_keys()
            labels = Y if Y.ndim == 2 else self.classes_[Y]
            weights = weights * self._class_weight_per_row(labels, y_type, weights)
        total_weight = float(weights.sum())
        if not total_weight > 0:
            raise ValueError(
                "sample_weight sums to zero: give at least one row a positive weight."
            )

        random_state = check_random_state(self.random_state)
        layer_units = [X.shape[1], *hidden_layer_sizes, n_outputs]
        net = _solvers.FlatNetwork(
            layer_units,
            self.fit_intercept,
            X.dtype,
            n_threads=_solvers.effective_n_threads(self.n_jobs),
            xp=xp,
            device=device,
        )
        if first_call:
            self._initialize(net, random_state)
        else:
            self._copy_fitted_weights_into(net)

        # setup done in numpy; from here on, X's namespace and device
        Y = Y if on_numpy else xp.asarray(Y, device=device)
        X_val = None
        if self.early_stopping and not incremental:
            seed = random_state.randint(np.iinfo(np.int32).max)
            val = _validation_mask(
                _to_numpy(X), _to_numpy(Y), weights, self.validation_fraction, seed
            )
            if not weights[~val].sum() > 0:
                raise ValueError(
                    "early_stopping needs at least 2 distinct rows of positive "
                    "weight, to hold some out for validation; set "
                    "early_stopping=False."
                )
            w_val = weights[val] / weights[val].sum()
            weights, counts = weights[~val], counts[~val]
            total_weight = float(weights.sum())
            if not on_numpy:
                val = xp.asarray(val, device=device)
            X_val, Y_val, X, Y = X[val], Y[val], X[~val], Y[~val]
            w_val = xp.asarray(w_val, dtype=X.dtype, device=device)
        # sums to 1: the loss is a weighted mean
        weights = xp.asarray(weights / total_weight, dtype=X.dtype, device=device)

        if not first_call:
            out_activation = self.out_activation_
        elif self.loss == "log_loss" and Y.ndim == 1 and n_outputs > 1:
            out_activation = "softmax"
        else:
            out_activation = "logistic"

        def loss_and_gradient(X_, Y_, w_, alpha):
            return net.loss_and_gradient(
                X_, Y_, w_, self.activation, out_activation, self.loss, alpha
            )

        def validation_loss():
            return net.loss(
                X_val, Y_val, w_val, self.activation, out_activation, self.loss
            )

        def fitted_attributes():
            coefs, intercepts = net.views(net.copy_theta())
            return {
                "coefs_": coefs,
                "intercepts_": [
                    b
                    if b is not None
                    else xp.zeros(W.shape[1], dtype=W.dtype, device=device)
                    for W, b in zip(coefs, intercepts)
                ],
                "n_layers_": len(layer_units),
                "n_outputs_": n_outputs,
                "out_activation_": out_activation,
            }

        alpha = self.alpha / total_weight
        max_iterations = 1 if incremental else self.max_iter
        # lbfgs: one more iteration begins than runs, as scipy ends each one
        callbacks = _CallbackBridge(
            self,
            X_fit,
            y_fit if on_numpy else xp.asarray(y_fit, device=device),
            fitted_attributes,
            max_iterations + (self.solver == "lbfgs"),
        )
        history = _History(self, X_val is not None, not first_call, callbacks)
        # Overflow is detected from the loss and handled as divergence.
        with (
            _solvers.blas_single_threaded(),
            np.errstate(over="ignore", invalid="ignore", under="ignore"),
        ):
            args = (net, loss_and_gradient, X, Y, weights, alpha, history)
            validation = validation_loss if X_val is not None else None
            if self.solver == "lbfgs":
                self._run_lbfgs(*args, validation)
            else:
                self._run_gd(*args, validation, incremental)

        callbacks.close()
        # commit: nothing above touched self's fitted attributes
        for name, value in fitted_attributes().items():
            setattr(self, name, value)
        history.commit(self, int(counts.sum()))
        return self

    def _encode_targets(self, y, y_type, classes, first_call, incremental):
        is_multilabel = y_type == "multilabel-indicator"
        if first_call:
            if incremental and not is_multilabel:
                if classes is None:
                    raise ValueError(
                        "classes must be passed on the first call to partial_fit: "
                        "give every label y may hold, e.g. classes=np.unique(y_all)."
                    )
                classes_ = unique_labels(_to_numpy(np.asarray(classes)))
            else:
                classes_ = unique_labels(y)
            if not is_multilabel and len(classes_) < 2:
                raise ValueError(
                    f"y contains only one class ({classes_[0]!r}); a classifier "
                    "needs samples of at least 2 classes."
                )
            self.classes_ = classes_
            self._multilabel = is_multilabel
        elif self._multilabel != is_multilabel:
            fitted_on = "multilabel-indicator" if self._multilabel else "single-label"
            raise ValueError(
                f"y is {y_type} but the model was fitted on {fitted_on} targets; "
                "fit a new model instead."
            )
        if y_type == "multilabel-indicator":
            if y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y has {y.shape[1]} labels but the model was fitted on "
                    f"{len(self.classes_)}; fit a new model instead."
                )
        else:
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y holds labels {unknown.tolist()} that are not in classes_ "
                    f"{self.classes_.tolist()}; pass every class to `classes` on the "
                    "first call to partial_fit, or fit a new model (warm_start=False)."
                )
        return (
            y if y_type == "multilabel-indicator" else np.searchsorted(self.classes_, y)
        )

    def _class_weight_per_row(self, y, y_type, sample_weight):
        # 'balanced': total weight / (n_classes * weight of the class), from
        # weighted class frequencies, so that an integer sample_weight of k
        # weighs classes as k copies of the row would. (scikit-learn's
        # compute_class_weight takes sample_weight only from 1.7 on.)
        columns = y.T if y_type == "multilabel-indicator" else [y]
        factors = np.ones_like(sample_weight)
        positive = sample_weight > 0
        for labels in columns:
            present, codes = np.unique(labels[positive], return_inverse=True)
            if self.class_weight == "balanced":
                class_weight_sum = np.bincount(codes, weights=sample_weight[positive])
                per_class = sample_weight[positive].sum() / (
                    len(present) * class_weight_sum
                )
            else:
                per_class = np.array([self.class_weight.get(c, 1.0) for c in present])
            index = np.searchsorted(present, labels).clip(0, len(present) - 1)
            known = present[index] == labels
            factors *= np.where(known, per_class[index], 0.0)
        return factors

    def _check_class_weight_keys(self):
        if isinstance(self.class_weight, dict):
            unknown = [c for c in self.class_weight if c not in set(self.classes_)]
            if unknown:
                raise ValueError(
                    f"class_weight names classes {unknown} that are not in y's "
                    f"classes {self.classes_.tolist()}; use labels of y as keys."
                )

    def _initialize(self, net, random_state):
        for W, (fan_in, fan_out) in zip(net.coefs, net.shapes):
            if callable(self.init):
                W0 = np.asarray(self.init(random_state, fan_in, fan_out))
            elif self.init == "glorot_uniform":
                W0 = _network.init_glorot_uniform(
                    random_state, fan_in, fan_out, self.activation
                )
            else:
                W0 = INIT_FUNCTIONS[self.init](random_state, fan_in, fan_out)
            if W0.shape != (fan_in, fan_out):
                raise ValueError(
                    f"init returned an array of shape {W0.shape} for a layer with "
                    f"fan_in={fan_in}, fan_out={fan_out}; it must return shape "
                    "(fan_in, fan_out)."
                )
            W[...] = net.xp.asarray(W0, dtype=net.dtype, device=net.device)

    def _copy_fitted_weights_into(self, net):
        shapes = [W.shape for W in self.coefs_]
        if shapes != net.shapes:
            raise ValueError(
                f"The fitted layers have shapes {shapes} but the parameters ask "
                f"for {net.shapes}; keep hidden_layer_sizes unchanged with "
                "warm_start or partial_fit, or fit a new model."
            )
        for W, b, W_fit, b_fit in zip(
            net.coefs, net.intercepts, self.coefs_, self.intercepts_
        ):
            W[...] = net.xp.astype(W_fit, net.dtype)
            if b is not None:
                b[...] = net.xp.astype(b_fit, net.dtype)

    def _run_gd(
        self,
        net,
        loss_and_gradient,
        X,
        Y,
        weights,
        alpha,
        history,
        validation_loss,
        incremental,
    ):
        optimizer = _solvers.GradientDescent(
            self.learning_rate_init, self.momentum, self.nesterovs_momentum
        )
        if incremental and getattr(self, "_velocity", None) is not None:
            optimizer.velocity = self._velocity * 1  # a copy: momentum across calls
        history.optimizer = optimizer
        max_iter = 1 if incremental else self.max_iter
        history.keep_lowest_loss_weights = True
        for _ in range(max_iter):
            history.callbacks.begin_iteration()
            loss = loss_and_gradient(X, Y, weights, alpha)
            if not (
                math.isfinite(loss) and bool(net.xp.all(net.xp.isfinite(net.grad)))
            ):
                history.diverged(net, self.learning_rate_init)
                break
            if history.record(net, loss, validation_loss):
                break
            optimizer.step(net.theta, net.grad)
            history.n_iter += 1
            if history.callbacks.end_iteration():
                break
        else:
            if not incremental:
                history.not_converged()
        if history.loss_rose():
            history.diverged(net, self.learning_rate_init)
        history.restore_best(net)

    def _run_lbfgs(
        self, net, loss_and_gradient, X, Y, weights, alpha, history, validation_loss
    ):
        # scipy works on float64 numpy vectors: a round trip per evaluation
        # for other namespaces and devices
        def set_theta(theta):
            net.theta[...] = net.xp.asarray(theta, dtype=net.dtype, device=net.device)

        def fun(theta):
            set_theta(theta)
            loss = loss_and_gradient(X, Y, weights, alpha)
            return loss, _to_numpy(net.grad).astype(np.float64)

        def callback(theta, loss):
            set_theta(theta)
            history.n_iter += 1
            stop = history.callbacks.end_iteration()
            if history.record(net, loss, validation_loss) or stop:
                raise StopIteration
            history.callbacks.begin_iteration()

        history.callbacks.begin_iteration()
        result = _solvers.minimize_lbfgs(
            fun,
            _to_numpy(net.theta).astype(np.float64),
            self.max_iter,
            self.tol,
            callback,
        )
        set_theta(result.x)
        if result.status == 1:
            history.not_converged()
        history.restore_best(net)

    def _forward_logits(self, X):
        xp, _ = get_namespace(X)
        return _network.predict_logits(
            self.coefs_, self.intercepts_, X, self.activation, xp
        )

    @property
    def _first_coefs(self):
        # an array attribute, for check_same_namespace (coefs_ is a list)
        return self.coefs_[0]

    def _validate_for_predict(self, X, method):
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="_first_coefs", method=method)
        xp, is_array_api = get_namespace(X)
        on_numpy = not is_array_api or _is_numpy_namespace(xp)
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
        X = self._validate_for_predict(X, "predict_log_proba")
        return self._log_proba(self._forward_logits(X))

    def _log_proba(self, z):
        xp, _ = get_namespace(z)
        if self.out_activation_ == "softmax":
            return _network.log_softmax(z, xp)
        if self._multilabel:
            return _network.log_sigmoid(z, xp)
        if z.shape[1] == 1:
            return xp.concat(
                [_network.log_sigmoid(-z, xp), _network.log_sigmoid(z, xp)], axis=1
            )
        # independent sigmoids (squared_error) normalised to sum to one
        return _network.log_softmax(_network.log_sigmoid(z, xp), xp)

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
        X = self._validate_for_predict(X, "predict_proba")
        # from the logits directly: exp(log_proba) would lose the sum to one
        # where large logits make log_proba inexact (float32)
        z = self._forward_logits(X)
        xp, _ = get_namespace(z)
        if self.out_activation_ == "softmax":
            return _network.inplace_softmax(z, xp)
        if self._multilabel:
            return _network.inplace_logistic(z, xp)
        if z.shape[1] == 1:
            p = _network.inplace_logistic(z, xp)
            return xp.concat([1 - p, p], axis=1)
        # independent sigmoids (squared_error) normalised to sum to one
        return _network.inplace_softmax(_network.log_sigmoid(z, xp), xp)


def _to_numpy(array):
    """A numpy copy of an array of any namespace or device (numpy: unchanged)."""
    if array is None or isinstance(array, np.ndarray) or sp.issparse(array):
        return array
    return _convert_to_numpy(array, get_namespace(array)[0])


class _History:
    """Loss curves, stopping rule and best weights of one call to fit."""

    def __init__(self, estimator, early_stopping, continue_curves, callbacks):
        self.estimator = estimator
        self.callbacks = callbacks
        self.early_stopping = early_stopping
        self.stopper = _solvers.NoImprovementStopper(
            estimator.tol, estimator.n_iter_no_change
        )
        self.loss_curve = list(estimator.loss_curve_) if continue_curves else []
        self.best_loss = min(self.loss_curve, default=np.inf)
        self.t = estimator.t_ if continue_curves else 0
        self.validation_loss_curve = []
        self.best_theta = None
        self.n_iter = 0
        self.optimizer = None
        self.fit_start = len(self.loss_curve)
        self.keep_lowest_loss_weights = False
        self.lowest_loss, self.lowest_loss_theta = np.inf, None

    def record(self, net, loss, validation_loss):
        """Log one iteration; return True when training should stop."""
        if self.keep_lowest_loss_weights and loss < self.lowest_loss:
            self.lowest_loss = loss
            self.lowest_loss_theta = net.copy_theta()
        self.loss_curve.append(float(loss))
        self.best_loss = min(self.best_loss, float(loss))
        message = f"Iteration {len(self.loss_curve)}, loss = {loss:.8f}"
        if self.early_stopping:
            val_loss = validation_loss()
            self.validation_loss_curve.append(val_loss)
            message += f", validation loss = {val_loss:.8f}"
            is_best, stop = self.stopper.update(val_loss)
            if is_best:
                self.best_theta = net.copy_theta()
        else:
            _, stop = self.stopper.update(loss)
            # lbfgs crosses plateaus that this rule would stop on; scipy's
            # gradient test (gtol=tol) ends it instead
            stop = stop and self.estimator.solver != "lbfgs"
        if self.estimator.verbose:
            print(message)
        return stop

    def restore_best(self, net):
        if self.best_theta is not None:
            net.theta[...] = self.best_theta

    def loss_rose(self):
        """Whether this fit ended with a higher loss than it started with."""
        curve = self.loss_curve[self.fit_start :]
        return len(curve) > 1 and curve[-1] > curve[0]

    def diverged(self, net, learning_rate):
        """Keep the weights of the lowest loss seen, and say why."""
        if self.lowest_loss_theta is not None:
            net.theta[...] = self.lowest_loss_theta
        warnings.warn(
            f"Training diverged: after {self.n_iter} updates the loss had grown "
            "or become infinite. The weights with the lowest training loss were "
            f"kept; lower learning_rate_init (now {learning_rate}) or scale the "
            "features.",
            ConvergenceWarning,
            stacklevel=2,
        )

    def not_converged(self):
        if self.estimator.tol == 0:
            return  # tol=0 asks for exactly max_iter iterations
        warnings.warn(
            f"Stopped after max_iter={self.estimator.max_iter} iterations without "
            "converging; increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )

    def commit(self, estimator, n_rows):
        estimator.loss_curve_ = self.loss_curve
        estimator.loss_ = self.loss_curve[-1] if self.loss_curve else np.nan
        estimator.best_loss_ = self.best_loss
        estimator.n_iter_ = self.n_iter
        estimator.t_ = self.t + self.n_iter * n_rows
        estimator._velocity = getattr(self.optimizer, "velocity", None)
        if self.early_stopping:
            estimator.validation_loss_curve_ = self.validation_loss_curve
            estimator.best_validation_loss_ = self.stopper.best


class _CallbackBridge:
    """scikit-learn's callbacks (``sklearn.callback``, 1.9+), one task per iteration.

    Each iteration is a subtask of the fit task: ``begin_iteration`` before it
    runs, ``end_iteration`` with the weights it produced; ``close`` ends an
    iteration that began but did not run, then the fit task. Without
    callbacks, or with a scikit-learn that has none, every call does nothing.
    """

    def __init__(self, estimator, X, y, fitted_attributes, max_iter):
        self.estimator, self.X, self.y = estimator, X, y
        self.fitted_attributes = fitted_attributes
        self.context = self.iteration = None
        if getattr(estimator, "_skl_callbacks", None) and hasattr(
            estimator, "_init_callback_context"
        ):
            self.context = estimator._init_callback_context(max_subtasks=max_iter)
            self.context.call_on_fit_task_begin(estimator=estimator, X=X, y=y)

    def begin_iteration(self):
        if self.context is None:
            return
        self.iteration = self.context.subcontext(task_name="iteration")
        self.iteration.call_on_fit_task_begin(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            reconstruction_attributes=self.fitted_attributes,
        )

    def end_iteration(self):
        """End the running iteration; True when a callback asks to stop."""
        if self.iteration is None:
            return False
        stop = self.iteration.call_on_fit_task_end(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            reconstruction_attributes=self.fitted_attributes,
        )
        self.iteration = None
        return bool(stop)

    def close(self):
        if self.iteration is not None:
            self.iteration.call_on_fit_task_end(estimator=self.estimator)
            self.iteration = None
        if self.context is not None:
            self.context.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                reconstruction_attributes=self.fitted_attributes,
            )
