"""numpy speed-ups of ``_network``: the same math, computed in place and in buffers.

The engine uses these for numpy arrays (dense, or scipy.sparse input); every
other namespace runs ``_network`` itself. ``tests/test_inplace.py`` shows that
both give the same numbers. Each function overwrites its array argument and
returns it.
"""

import numpy as np
from scipy.special import expit

# Below this many values, scipy's expit (one call) is fastest; above it, the
# vectorised tanh form of _network.sigmoid is about 9x faster.
EXPIT_MAX_SIZE = 4096


def sigmoid(Z):
    if Z.size < EXPIT_MAX_SIZE:
        return expit(Z, out=Z)
    Z *= 0.5  # 0.5 * tanh(0.5 * z) + 0.5, as _network.sigmoid
    np.tanh(Z, out=Z)
    Z *= 0.5
    Z += 0.5
    return Z


def softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


ACTIVATIONS = {
    "identity": lambda Z: Z,
    "logistic": sigmoid,
    "tanh": lambda Z: np.tanh(Z, out=Z),
    "relu": lambda Z: np.maximum(Z, 0, out=Z),
    "softmax": softmax,
    "exp": lambda Z: np.exp(Z, out=Z),
}


def _multiply_by_slope_logistic(A, delta):
    delta *= A  # a * (1 - a)
    delta *= np.subtract(1, A, out=A)
    return delta


def _multiply_by_slope_tanh(A, delta):
    A *= A  # 1 - a**2
    delta *= np.subtract(1, A, out=A)
    return delta


def _multiply_by_slope_relu(A, delta):
    delta[A == 0] = 0
    return delta


# delta *= act'(z), from the layer's output A, which is overwritten
MULTIPLY_BY_SLOPE = {
    "identity": lambda A, delta: delta,
    "logistic": _multiply_by_slope_logistic,
    "tanh": _multiply_by_slope_tanh,
    "relu": _multiply_by_slope_relu,
}


def output_delta(P, Y, loss, out_activation):
    """_network.output_delta, written into P."""
    if (loss, out_activation) == ("squared_error", "logistic"):
        slope = P * (1 - P)
        P -= Y
        P *= slope
    else:
        P -= Y
    return P


class Workspace:
    """Buffers for the layers and deltas of blocks of up to ``rows`` rows."""

    def __init__(self, layer_units, rows, dtype):
        widths = layer_units[1:]
        self.layers = [np.empty((rows, w), dtype=dtype) for w in widths]
        self.deltas = [np.empty((rows, w), dtype=dtype) for w in widths]


def matmul(a, b, buffer):
    """``a @ b``, written into ``buffer[:len(a)]`` when one is given."""
    if buffer is None or not isinstance(a, np.ndarray):
        return a @ b  # no buffer, or a scipy.sparse block
    return np.matmul(a, b, out=buffer[: a.shape[0]])


def forward(net, coefs, intercepts, X, workspace=None):
    """_network.Network.forward, each layer computed in place (in the buffers)."""
    layers = [X]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        z = matmul(layers[-1], W, None if workspace is None else workspace.layers[i])
        if b is not None:
            z += b
        if i < len(coefs) - 1:
            z = ACTIVATIONS[net.activation](z)
        layers.append(z)
    return layers


def loss_per_row(net, z, Y):
    """_network.Network.loss_per_row, with this module's sigmoid."""
    if (net.loss, net.out_activation) == ("squared_error", "logistic"):
        return 0.5 * np.sum((Y - sigmoid(z * 1)) ** 2, axis=1)
    return net.loss_per_row(z, Y, np)


def weighted_loss(net, coefs, intercepts, X, Y, weights):
    """_network.Network.weighted_loss."""
    z = forward(net, coefs, intercepts, X)[-1]
    return float(np.sum(weights * loss_per_row(net, z, Y)))


def add_loss_and_gradient(
    net, coefs, intercepts, X, Y, weights, coef_grads, intercept_grads, workspace=None
):
    """_network.Network.loss_and_gradient, the gradient added to the accumulators.

    The layers are overwritten during backprop: ``delta *= act'(z)`` reads
    each layer for the last time.
    """
    layers = forward(net, coefs, intercepts, X, workspace)
    z = layers[-1]
    loss = float(np.sum(weights * loss_per_row(net, z, Y)))
    P = ACTIVATIONS[net.out_activation](z)
    delta = output_delta(P, Y, net.loss, net.out_activation)
    delta *= weights[:, None]
    for i in range(len(coefs) - 1, -1, -1):
        coef_grads[i] += layers[i].T @ delta
        if intercept_grads[i] is not None:
            intercept_grads[i] += np.sum(delta, axis=0)
        if i > 0:
            buffer = None if workspace is None else workspace.deltas[i - 1]
            delta = matmul(delta, coefs[i].T, buffer)
            delta = MULTIPLY_BY_SLOPE[net.activation](layers[i], delta)
    return loss
