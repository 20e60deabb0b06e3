"""The tutorials' data, their printed figures, and the configuration reproducing them.

Andrew Trask's "A Neural Network in 11 lines of Python" trains a 2-layer
network (no hidden layer) on ``X, Y_FIRST_COLUMN``; Damir Cavar's notebook on
it trains a 3-layer network with 4 hidden units on ``X, Y_XOR``. Both sum the
update over rows with step 1 and use no biases; :func:`tutorial_classifier`
returns the ``TinyNetClassifier`` that does the same.
"""

import numpy as np

from ._classifier import TinyNetClassifier

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
Y_FIRST_COLUMN = np.array([0, 0, 1, 1])
Y_XOR = np.array([0, 1, 1, 0])

# Trask's "Output After Training": l1 in the last of 10,000 iterations, that
# is after 9,999 updates, from np.random.seed(1) and init 2 * random - 1.
TRASK_OUTPUT = np.array([0.00966449, 0.00786506, 0.99358898, 0.99211957])
TRASK_UPDATES = 9_999

# Cavar's "Error:" lines, np.mean(np.abs(y - l2)) before update i, and the
# hidden weights Wh after 100,000 updates, from np.random.seed(1).
CAVAR_ERRORS = {
    0: 0.49962354308293877,
    10_000: 0.010185068686370096,
    20_000: 0.006740755437297382,
    30_000: 0.005345052957883488,
    40_000: 0.004547502999833714,
    50_000: 0.004017450105072936,
    60_000: 0.0036334495140870125,
    70_000: 0.003339229754058864,
    80_000: 0.0031047453709322735,
    90_000: 0.0029123275501446943,
}
CAVAR_WH = np.array(
    [
        [6.66182717, 6.80494448, -3.00320286, 3.65642155],
        [-3.43419418, 6.77518798, 6.58168773, 3.71366194],
        [0.59089835, -1.96151177, 0.18071609, -5.62078292],
    ]
)
CAVAR_UPDATES = 100_000


def cavar_init(random_state, fan_in, fan_out):
    """Cavar's initial weights, for the ``init`` parameter.

    Parameters
    ----------
    random_state : numpy.random.RandomState
        The estimator's random state; one matrix is drawn per call.
    fan_in, fan_out : int
        The layer's numbers of inputs and outputs.

    Returns
    -------
    weights : ndarray of shape (fan_in, fan_out)
        ``np.random.random((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)``.
    """
    return random_state.random_sample((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def tutorial_classifier(n_updates, hidden_layer_sizes=(4,), init=cavar_init):
    """The TinyNetClassifier that runs the tutorials' loop for ``n_updates``.

    Sigmoid units, half squared error, no biases, no penalty, no momentum and
    no early stop; the tutorials' summed update with step 1 is a mean-loss
    step of ``n_samples`` = 4.

    Parameters
    ----------
    n_updates : int
        Number of full-batch updates (``max_iter``).
    hidden_layer_sizes : tuple of int, default=(4,)
        ``(4,)`` for Cavar's 3-layer network, ``()`` for Trask's 2-layer one.
    init : str or callable, default=cavar_init
        ``cavar_init`` for Cavar's weights, ``'uniform'`` for Trask's.

    Returns
    -------
    clf : TinyNetClassifier
        The unfitted estimator, with ``random_state=1``.
    """
    return TinyNetClassifier(
        hidden_layer_sizes=hidden_layer_sizes,
        activation="logistic",
        loss="squared_error",
        fit_intercept=False,
        init=init,
        solver="gd",
        learning_rate_init=float(len(X)),
        momentum=0.0,
        alpha=0.0,
        max_iter=n_updates,
        tol=0.0,
        n_iter_no_change=n_updates,
        early_stopping=False,
        random_state=1,
    )


def tutorial_loop(X, y, weights, n_updates):
    """The tutorials' own loop: summed updates, sigmoid everywhere, no biases.

    The readable reference that ``TinyNetClassifier`` is tested against:
    ``tutorial_classifier(n_updates)`` gives the same weights.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The input rows, the tutorial's ``l0``.
    y : ndarray of shape (n_samples,)
        The 0/1 targets.
    weights : list of ndarray
        Initial ``syn0, syn1, ...``, of shapes (fan_in, fan_out); not modified.
    n_updates : int
        Number of full-batch updates.

    Returns
    -------
    syn : list of ndarray
        The weights after ``n_updates`` updates.
    """

    def nonlin(x, deriv=False):
        if deriv:
            return x * (1 - x)
        return 1 / (1 + np.exp(-x))

    y = y.reshape(-1, 1)
    syn = [w.copy() for w in weights]
    for _ in range(n_updates):
        layers = [X]  # [l0, l1, ..., output]
        for w in syn:
            layers.append(nonlin(layers[-1].dot(w)))  # l_{i+1} = nonlin(l_i.dot(syn_i))
        # l2_delta = l2_error * nonlin(l2, deriv=True), with l2_error = y - l2
        delta = (y - layers[-1]) * nonlin(layers[-1], deriv=True)
        for i in range(len(syn) - 1, -1, -1):
            error = delta.dot(syn[i].T)  # l_i_error = l_{i+1}_delta.dot(syn_i.T)
            syn[i] += layers[i].T.dot(delta)  # syn_i += l_i.T.dot(l_{i+1}_delta)
            delta = error * nonlin(layers[i], deriv=True)  # l_i_delta
    return syn
