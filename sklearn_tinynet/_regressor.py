"""TinyNetRegressor: the same network with a linear (or log-link) output layer."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.metaestimators import available_if

from . import _data, _network
from ._base import (
    BaseTinyNet,
    _restoring_state_on_error,
    lazy_on_dask,
)
from ._compat import StrOptions, fit_context, get_namespace
from ._rows import like


class TinyNetRegressor(RegressorMixin, BaseTinyNet):
    """Network regressor trained by full-batch gradient descent and backprop.

    ``TinyNetClassifier``'s network and training with an output layer for
    numbers: the identity of the last layer's logits (least squares), or
    their exponential (Poisson regression with a log link). Parameters,
    attributes and conventions follow ``MLPRegressor``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Number of units in each hidden layer. ``()`` means no hidden layer (a
        linear model).

    activation : {'logistic', 'tanh', 'relu', 'identity'}, default='logistic'
        Activation of the hidden layers.

    solver : {'gd', 'lbfgs'}, default='lbfgs'
        'gd' is full-batch gradient descent, with optional momentum; 'lbfgs'
        is full-batch L-BFGS, optionally on a growing sample first
        (``growing_sample``).

    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error' is half the squared error summed over outputs, with
        an identity output; 'poisson' is half the Poisson deviance of
        ``exp(z)``, the log link, for non-negative targets such as counts.
        Both are averaged over samples.

    alpha : float, default=1.0
        Strength of the L2 penalty ``alpha / 2 * sum ||W||**2``, divided by
        the total sample weight, as in ``MLPRegressor`` (whose default is
        1e-4). The targets are standardised, so ``alpha`` means the same
        whatever y's units. Chosen by ``benchmarks/bench_regression.py``:
        lower it (0.1 to 0.3) for smooth, low-noise targets on a few hundred
        rows, which the default smooths away.

    learning_rate_init : float, default=0.02
        Step size of 'gd'. The squared error's curvature grows with the
        width of the last hidden layer: with 100 units, steps above about
        0.05 diverge on standardised features.

    momentum : float, default=0.9
        Momentum of 'gd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'gd' uses Nesterov's momentum.

    max_iter : int, default=500
        Maximum number of full-batch weight updates (iterations of L-BFGS).

    tol : float, default=1e-3
        As in ``TinyNetClassifier``: 'gd' stops when the loss has not
        improved by ``tol`` for more than ``n_iter_no_change`` updates,
        'lbfgs' when the largest gradient component falls below ``tol``.
        Both are on the standardised targets' loss; on the benchmark sets
        1e-3 ends where further iterations change R² by under 0.003.

    growing_sample : 'auto', int or None, default='auto'
        'lbfgs' only: train first on a seeded sample of this many training
        rows, then on samples twice as large, each holding the last, and
        finish on all rows, whose iterations stop by ``tol`` as without a
        sample. A sample gives way to the next when its gradient is too
        noisy to trust (the inner-product and orthogonality tests of
        Bollapragada et al. 2018) or when the loss of rows it does not
        train on stops falling; L-BFGS keeps its curvature pairs across
        samples. Samples reach at most half the rows. 'auto' starts at
        10,000 rows when there are at least 200,000 training rows, where
        ``TinyNetClassifier`` reached the same accuracy in about half the
        passes over the rows;
        None trains on all rows from the first iteration. Every iteration
        counts towards ``max_iter``. A warm start continues on all rows.
        Rows are drawn by a seeded hash of their content, so samples do
        not depend on the row order or on dask's chunks.

    n_iter_no_change : int, default=10
        Number of iterations without improvement tolerated before stopping.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop on their loss and
        keep the weights with the lowest validation loss.

    validation_fraction : float, default=0.1
        Expected share of rows held out with ``early_stopping``.

    fit_intercept : bool, default=True
        Whether layers have biases.

    init : {'lecun_uniform', 'glorot_uniform', 'uniform'} or callable, \
            default='lecun_uniform'
        Initial weights, as in ``TinyNetClassifier``.

    warm_start : bool, default=False
        Reuse the previous solution as the starting point of ``fit``.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the early-stopping split.

    n_jobs : int or None, default=None
        Threads computing the full-batch gradient; results are bit-identical
        for any value.

    verbose : bool, default=False
        Print the loss at every iteration.

    Attributes
    ----------
    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix from layer i to layer i+1.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer i+1.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output activation: 'identity', or 'exp' for ``loss='poisson'``.

    loss_ : float
        Training loss of the weights returned: the last value of
        ``loss_curve_``, or after divergence the loss of the weights kept
        (NaN if none was finite).

    loss_curve_ : list of float
        Training loss at each iteration, of the targets as trained on:
        standardised, ``(y - offset) / scale`` per output with ``scale`` a
        power of two near y's standard deviation (the mean's for 'poisson',
        which trains on ``y / scale``). ``MLPRegressor`` reports the loss in
        y's units; here ``tol`` and ``alpha`` mean the same whatever y's
        units. The fitted ``coefs_`` and ``intercepts_`` predict y itself.

    sample_size_curve_ : list of int
        Rows behind each entry of ``loss_curve_`` (duplicates merged
        included): the growing sample's, then all training rows'.

    best_loss_ : float
        Lowest value of ``loss_curve_``.

    validation_loss_curve_ : list of float or None
        Validation loss at each iteration with ``early_stopping``.

    best_validation_loss_ : float or None
        Lowest validation loss of the last call to ``fit``.

    n_iter_ : int
        Number of iterations of the last call to ``fit`` (at most
        ``max_iter``), or 1 after ``partial_fit``, as in ``MLPRegressor``.

    t_ : int
        Number of training rows seen by the solver: rows times iterations,
        counted over warm starts and ``partial_fit`` calls.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    TinyNetClassifier : The same network for class labels.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron with
        mini-batch solvers.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_tinynet import TinyNetRegressor
    >>> X, y = make_regression(n_samples=200, n_features=4, noise=1, random_state=0)
    >>> reg = TinyNetRegressor(random_state=0).fit(X, y / 100)
    >>> round(reg.score(X, y / 100), 2)
    1.0
    """

    _y_numeric = True

    _parameter_constraints = {
        **BaseTinyNet._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="logistic",
        *,
        solver="lbfgs",
        loss="squared_error",
        alpha=1.0,
        learning_rate_init=0.02,
        momentum=0.9,
        nesterovs_momentum=True,
        max_iter=500,
        tol=1e-3,
        growing_sample="auto",
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
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
        self.growing_sample = growing_sample
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.fit_intercept = fit_intercept
        self.init = init
        self.warm_start = warm_start
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @available_if(BaseTinyNet._check_gd)
    @_restoring_state_on_error
    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Make one full-batch gradient-descent update on ``X`` and ``y``.

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
        self : TinyNetRegressor
            The updated estimator.
        """
        return self._partial_fit(X, y, None, sample_weight)

    # --- the targets: numbers, one output per column of y ---------------------

    def _check_targets(self, y, first_call):
        """y's type; for 'poisson', non-negative, and with a positive value
        on the first call, whose targets set the scale."""
        if self.loss == "poisson" and y.shape[0]:
            if y.min() < 0:
                raise ValueError(
                    "loss='poisson' needs non-negative y (counts, rates), but y "
                    "has negative values; use loss='squared_error', or shift y."
                )
            if first_call and not y.max() > 0:
                raise ValueError(
                    "loss='poisson' needs y with at least one positive value; "
                    "every value of y is 0."
                )
        return "continuous-multioutput" if y.ndim == 2 else "continuous"

    def _output_layer(self, y, y_type, classes, first_call, incremental):
        """The fitted attributes that describe the output layer."""
        n_outputs = y.shape[1] if y.ndim == 2 else 1
        if not first_call:
            self._check_network_params()
            if n_outputs != self.n_outputs_:
                raise ValueError(
                    f"y has {n_outputs} output(s) but the network was fitted on "
                    f"{self.n_outputs_}; warm_start and partial_fit continue "
                    "that network. Fit a new model (warm_start=False) for other "
                    "outputs."
                )
        return {
            "n_outputs_": n_outputs,
            "out_activation_": "exp" if self.loss == "poisson" else "identity",
            "_network_params": self._current_network_params(),
        }

    def _encoder(self, model, y_type):
        return _data.float_target_part, {}

    def _scaled_targets(self, rows, model, new_scale):
        """Targets standardised for training, an exact power-of-two scale.

        squared_error trains on ``(y - offset) / scale``: the mean rounded to
        a multiple of a power of two 2**20 times below the standard
        deviation, and the power of two nearest the standard deviation, so
        that the same rows chunked otherwise give the same offset and scale;
        poisson on ``y / scale``, the power of two nearest the mean. Without
        intercepts the offset is 0, the scale that of the root mean square
        (and poisson's scale 1). Every fit computes them anew, a warm start
        included; ``partial_fit`` keeps those of its first call.
        """
        if new_scale:
            largest = np.max(rows.collect(_data.largest_target), axis=0)
            size = _data.column_scale(largest)
            moments = rows.collect(_data.target_moments, scale=size)
            mean, std = (size * m for m in _data.combined_moments(moments))
            if self.loss == "poisson":
                offset = np.zeros_like(mean)
                scale = _data.power_of_two_near(mean)
                if not self.fit_intercept:
                    scale = np.ones_like(mean)
            elif self.fit_intercept:
                offset = _data.rounded_below(mean, std)
                scale = _data.power_of_two_near(std)
            else:
                offset = np.zeros_like(mean)
                # root mean square about 0, in units of size: no overflow
                rms = size * np.hypot(mean / size, std / size)
                scale = _data.power_of_two_near(rms)
            # plain floats, not arrays of a namespace other than X's
            model = {**model, "_y_offset": tuple(offset.tolist())}
            model["_y_scale"] = tuple(scale.tolist())
        else:
            model = {**model, "_y_offset": self._y_offset, "_y_scale": self._y_scale}
        rows = rows.map(
            _data.standardised_part,
            offset=np.array(model["_y_offset"]),
            scale=np.array(model["_y_scale"]),
        )
        return rows, model

    def _rescale_output_layer(self, theta, layout, model, to_targets):
        """The last layer from the standardised targets' scale to y's, or back.

        squared_error: ``y = z * scale + offset``, so W *= scale and
        b = b * scale + offset; poisson: ``y = exp(z) * scale``, so
        b += log(scale). Scaling W by a power of two is exact.
        """
        coefs, intercepts = layout.views(theta, get_namespace(theta)[0])
        W, b = coefs[-1], intercepts[-1]
        offset = like(W, np.array(model["_y_offset"]), W.dtype)
        scale = like(W, np.array(model["_y_scale"]), W.dtype)
        if self.loss == "poisson":
            if b is not None:
                log_scale = like(W, np.log(model["_y_scale"]), W.dtype)
                b += log_scale if to_targets else -log_scale
        elif to_targets:
            W *= scale
            if b is not None:
                b *= scale
                b += offset
        else:
            W /= scale
            if b is not None:
                b -= offset
                b /= scale

    def _prediction_shape(self, method, float_dtype):
        return float_dtype, self.n_outputs_ if self.n_outputs_ > 1 else None

    @lazy_on_dask
    def predict(self, X):
        """Predict targets: the output layer's activation of the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions; one output is raveled, as in ``MLPRegressor``.
        """
        X = self._validate_for_predict(X, "predict")

        def prediction(z, xp):
            return _network.output_prediction(z, self.out_activation_, xp)

        y = self._forward_logits(X, then=prediction)
        xp, _ = get_namespace(y)
        return xp.reshape(y, (-1,)) if y.shape[1] == 1 else y

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.

        Returns
        -------
        score : float
            R², averaged uniformly over outputs.
        """
        return super().score(X, y, sample_weight=sample_weight)
