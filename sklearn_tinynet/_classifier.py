"""TinyNetClassifier: a sigmoid network trained by full-batch backpropagation."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)

from . import _data, _network
from ._base import BaseTinyNet, _restoring_state_on_error, lazy_on_dask
from ._compat import (
    StrOptions,
    fit_context,
    get_namespace,
    get_namespace_and_device,
    to_numpy,
)


class TinyNetClassifier(ClassifierMixin, BaseTinyNet):
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
        momentum; 'lbfgs' is full-batch L-BFGS, optionally on a growing
        sample first (``growing_sample``).

    loss : {'log_loss', 'squared_error'}, default='log_loss'
        'log_loss' is the cross-entropy of the output layer; 'squared_error'
        is the tutorial's loss, half the squared error of the sigmoid outputs
        summed over outputs. Both are averaged over samples. The squared
        error's gradient carries a factor ``p (1 - p)``, so its plateaus can
        fall below the default ``tol``; lower ``tol`` (``1e-5``) with it.

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

    tol : float, default=3e-5
        With 'gd', training stops when the loss has not improved by at least
        ``tol`` for more than ``n_iter_no_change`` consecutive updates. 'lbfgs'
        stops when the largest gradient component falls below ``tol`` (or
        the loss stops decreasing to machine precision); it ignores
        ``n_iter_no_change``, which would stop it on the plateaus that
        full-batch L-BFGS crosses. With ``early_stopping``, both stop on the
        validation loss by the first rule. Reaching ``max_iter`` first raises
        a ``ConvergenceWarning``, except with ``tol=0``, which asks for
        exactly ``max_iter`` iterations. ``3e-5`` stops L-BFGS after 0.45 to 0.83
        of the iterations of ``1e-5`` on the small benchmark sets, where the
        rest moved accuracy by at most 0.6 points (docs/defaults.rst).

    growing_sample : 'auto', int or None, default='auto'
        'lbfgs' only: train first on a seeded sample of this many training
        rows, then on samples twice as large, each holding the last, and
        finish on all rows, whose iterations stop by ``tol`` as without a
        sample. A sample gives way to the next when its gradient is too
        noisy to trust (the inner-product and orthogonality tests of
        Bollapragada et al. 2018) or when the loss of rows it does not
        train on stops falling; L-BFGS keeps its curvature pairs across
        samples. Samples reach at most half the rows. 'auto' starts at
        10,000 rows when there are at least 200,000 training rows, where it
        reached the same accuracy in about half the passes over the rows;
        None trains on all rows from the first iteration. Every iteration
        counts towards ``max_iter``. A warm start continues on all rows.
        Rows are drawn by a seeded hash of their content, so samples do
        not depend on the row order or on dask's chunks.

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
        Reuse the previous solution as the starting point of ``fit``, which
        runs up to ``max_iter`` more iterations. The curves and ``t_``
        continue; ``n_iter_`` counts this call's iterations, as in
        ``MLPClassifier``. ``y`` must have the fitted
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
        Training loss of the weights returned: the last value of
        ``loss_curve_``, or after divergence the loss of the weights kept
        (NaN if none was finite).

    loss_curve_ : list of float
        Training loss at each iteration: before the update with 'gd', after
        it with 'lbfgs'. Continues over warm starts and ``partial_fit`` calls:
        the last call added ``n_iter_`` entries.

    sample_size_curve_ : list of int
        Rows behind each entry of ``loss_curve_`` (duplicates merged
        included): the growing sample's, then all training rows'.

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
        Number of iterations of the last call to ``fit`` (at most
        ``max_iter``, a warm start included), or 1 after ``partial_fit``, as
        in ``MLPClassifier``. With 'gd', an iteration that stops training
        (``tol``) makes no update.

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
    gradient overflows, or a call to ``fit`` ends with a higher loss than it
    started with, training has diverged: the weights with the lowest training loss
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
        **BaseTinyNet._parameter_constraints,
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
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
        tol=3e-5,
        growing_sample="auto",
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
        self.growing_sample = growing_sample
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
        tags.classifier_tags.multi_label = True
        return tags

    @available_if(BaseTinyNet._check_gd)
    @_restoring_state_on_error
    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Make one full-batch gradient-descent update on ``X`` and ``y``.

        The update is kept unless the loss or the weights become infinite or
        NaN (checked with a second evaluation); then the weights stay as they
        were and a ``ConvergenceWarning`` says so. An update that raises the
        loss is kept, as the same update is in ``fit``: a run of calls gives
        ``fit``'s weights.

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
        return self._partial_fit(X, y, classes, sample_weight)

    # --- the targets: labels, classes and the output layer -----------------

    def _check_targets(self, y, first_call):
        """y's type: binary, multiclass or multilabel-indicator."""
        check_classification_targets(y)
        y_type = type_of_target(y)
        if y_type not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(
                f"Unknown label type: {y_type}. y must hold class labels (binary "
                "or multiclass) or be a binary indicator matrix (multilabel); "
                "for several multiclass outputs, wrap the classifier in "
                "sklearn.multioutput.MultiOutputClassifier."
            )
        return y_type

    def _encoder(self, model, y_type):
        classes, multilabel = model["classes_"], model["_multilabel"]
        kwargs = {"y_type": y_type, "classes": classes, "multilabel": multilabel}
        return _data.encoded_part, kwargs

    def _class_weight_spec(self, model):
        if self.class_weight is None:
            return None
        return self.class_weight, model["classes_"], model["_multilabel"]

    def _prediction_shape(self, method, float_dtype):
        """dtype and number of columns (None: 1-D) of a prediction method."""
        n_classes = len(self.classes_)
        if method == "predict":
            return self.classes_.dtype, n_classes if self._multilabel else None
        if method == "decision_function":
            return float_dtype, self.n_outputs_ if self.n_outputs_ > 1 else None
        return float_dtype, n_classes

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

    def _check_continuation(self, y, y_type, classes, incremental):
        """A warm start or partial_fit continues the fitted network, on its classes."""
        self._check_network_params()
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

    @lazy_on_dask
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

    @lazy_on_dask
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
            indicator = xp.astype(z > 0, xp.int64)
            # sparse when fitted on a sparse y, as MLPClassifier's
            sparse = getattr(self, "_sparse_y", False)  # models of 0.2 lack it
            return sp.csr_matrix(indicator) if sparse else indicator
        if z.shape[1] == 1:
            index = xp.astype(z[:, 0] > 0, xp.int64)
        else:
            index = xp.argmax(z, axis=1)
        if isinstance(index, np.ndarray) or self.classes_.dtype.kind in "OUS":
            # labels of no Array API dtype (str, object) stay numpy
            return self.classes_[to_numpy(index)]
        return xp.take(xp.asarray(self.classes_, device=device), index, axis=0)

    @lazy_on_dask
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

        def log_proba(z, xp):
            return _network.output_log_proba(
                z, self.out_activation_, self._multilabel, xp
            )

        return self._forward_logits(X, then=log_proba)

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

    @lazy_on_dask
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
        def proba(z, xp):
            return _network.output_proba(z, self.out_activation_, self._multilabel, xp)

        return self._forward_logits(X, then=proba)
