"""The network's math: activations, losses, initialisation, forward pass, backprop."""

# Notation follows the tutorial: l0 = X, l1 = act(l0 @ syn0 + b0), ...;
# coefs[i] is syn_i with shape (fan_in, fan_out), intercepts[i] its bias (fan_out,).
# Every function takes plain arrays; no labels, no estimator objects.

import numpy as np
from scipy.special import expit

# --- activations, applied in place to z = l @ W + b, which they return -------


def inplace_identity(Z):
    return Z


def inplace_logistic(Z):
    # nonlin(x) = 1 / (1 + exp(-x)) = (1 + tanh(x / 2)) / 2, without overflow.
    # On large blocks numpy's vectorised tanh form is ~9x faster than expit;
    # on small ones, expit's single call has the least overhead.
    if Z.size < 4096:
        return expit(Z, out=Z)
    Z *= 0.5
    np.tanh(Z, out=Z)
    Z *= 0.5
    Z += 0.5
    return Z


def inplace_tanh(Z):
    return np.tanh(Z, out=Z)


def inplace_relu(Z):
    return np.maximum(Z, 0, out=Z)


def inplace_softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


ACTIVATIONS = {
    "identity": inplace_identity,
    "logistic": inplace_logistic,
    "tanh": inplace_tanh,
    "relu": inplace_relu,
    "softmax": inplace_softmax,
}


# --- derivatives, from the layer's output Z = act(z) --------------------------
# As the tutorial's nonlin(l1, deriv=True): delta *= act'(z), computed from Z.
# Z is no longer needed after this step of backprop and is overwritten.


def inplace_identity_derivative(Z, delta):
    pass


def inplace_logistic_derivative(Z, delta):
    delta *= Z  # d sigmoid / dz = Z * (1 - Z)
    np.subtract(1, Z, out=Z)
    delta *= Z


def inplace_tanh_derivative(Z, delta):
    Z *= Z  # d tanh / dz = 1 - Z**2
    np.subtract(1, Z, out=Z)
    delta *= Z


def inplace_relu_derivative(Z, delta):
    delta[Z == 0] = 0


DERIVATIVES = {
    "identity": inplace_identity_derivative,
    "logistic": inplace_logistic_derivative,
    "tanh": inplace_tanh_derivative,
    "relu": inplace_relu_derivative,
}


# --- losses of the logits z, per sample, shape (n_samples,) -------------------
# Computed from the output layer before its activation, in forms that neither
# overflow nor take log(0).


def log_sigmoid(z):
    # log(1 / (1 + exp(-z))) = -softplus(-z)
    return -np.logaddexp(0, -z)


def logsumexp(z):
    z_max = z.max(axis=1, keepdims=True)
    return np.log(np.exp(z - z_max).sum(axis=1)) + z_max[:, 0]


def log_softmax(z):
    return z - logsumexp(z)[:, None]


def log_loss_logistic(z, Y):
    # -y log p - (1 - y) log(1 - p) with p = sigmoid(z) equals softplus(z) - y z
    return (np.logaddexp(0, z) - Y * z).sum(axis=1)


def log_loss_softmax(z, Y):
    # -sum_k y_k log softmax(z)_k = logsumexp(z) - sum_k y_k z_k  (sum_k y_k = 1)
    return logsumexp(z) - (Y * z).sum(axis=1)


def squared_error_logistic(z, Y):
    # the tutorial's loss: 1/2 sum_k (y_k - sigmoid(z_k))**2
    P = z.copy()
    inplace_logistic(P)
    return 0.5 * ((Y - P) ** 2).sum(axis=1)


# (loss, output activation) -> per-sample loss of the logits
LOSS_FUNCTIONS = {
    ("log_loss", "logistic"): log_loss_logistic,
    ("log_loss", "softmax"): log_loss_softmax,
    ("squared_error", "logistic"): squared_error_logistic,
}


def output_delta(P, Y, loss):
    """dL/dz at the output layer for outputs P = out_act(z), in place in P."""
    # log-loss with its matching link (sigmoid or softmax): dL/dz = p - y.
    # squared error of sigmoid outputs: dL/dz = (p - y) * p * (1 - p), which is
    # minus the tutorial's l2_delta = l2_error * nonlin(l2, deriv=True).
    if loss == "squared_error":
        P_slope = P * (1 - P)
        P -= Y
        P *= P_slope
    else:
        P -= Y
    return P


# --- initial weights -----------------------------------------------------------


def init_uniform(random_state, fan_in, fan_out):
    """The tutorial's ``2 * np.random.random((fan_in, fan_out)) - 1``."""
    return 2 * random_state.random_sample((fan_in, fan_out)) - 1


def init_glorot_uniform(random_state, fan_in, fan_out, activation="logistic"):
    """Glorot & Bengio (2010) uniform weights, with their factor 2 for sigmoid."""
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    return random_state.uniform(-bound, bound, (fan_in, fan_out))


# --- forward pass and backprop -------------------------------------------------


class Workspace:
    """Reusable buffers for the layers and deltas of blocks of up to ``rows`` rows.

    A numpy-only speed-up: backprop writes into these instead of allocating
    (n_rows, fan_out) arrays for every layer of every block.
    """

    def __init__(self, layer_units, rows, dtype):
        widths = layer_units[1:]
        self.layers = [np.empty((rows, w), dtype=dtype) for w in widths]
        self.deltas = [np.empty((rows, w), dtype=dtype) for w in widths]


def matmul_into(a, b, out):
    """``a @ b``, written into ``out[:len(a)]`` when a buffer is given."""
    if out is not None and isinstance(a, np.ndarray):
        return np.matmul(a, b, out=out[: a.shape[0]])
    return np.asarray(a @ b)  # no buffer, or a scipy.sparse block


def forward(coefs, intercepts, X, activation, buffers=None):
    """Activations of every layer: [l1, l2, ..., output], each (n_samples, fan_out).

    The output layer is returned as logits z, before the output activation, so
    that losses can be computed stably from them.
    """
    layers = []
    l_prev = X
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        z = matmul_into(l_prev, W, None if buffers is None else buffers[i])
        if b is not None:
            z += b
        if i < last:
            ACTIVATIONS[activation](z)
        layers.append(z)
        l_prev = z
    return layers


def weighted_loss(coefs, intercepts, X, Y, weights, activation, out_activation, loss):
    """sum_i weights[i] * loss_i over one block of rows, without the gradient."""
    z_out = forward(coefs, intercepts, X, activation)[-1]
    return float(weights @ LOSS_FUNCTIONS[loss, out_activation](z_out, Y))


def loss_and_gradient(
    coefs,
    intercepts,
    X,
    Y,
    weights,
    activation,
    out_activation,
    loss,
    coef_grads,
    intercept_grads,
    workspace=None,
):
    """Weighted summed loss of one block of rows, and its gradient added in place.

    Parameters
    ----------
    coefs, intercepts : lists of arrays, (fan_in, fan_out) and (fan_out,) or None
    X : (n_rows, n_features) array or scipy.sparse matrix
    Y : (n_rows, n_outputs) target matrix
    weights : (n_rows,) per-row weights, already divided by the total weight,
        so that summing over all blocks gives the weighted mean loss.
    coef_grads, intercept_grads : gradient accumulators, same shapes as the
        parameters (intercept_grads entries None where intercepts are None).
    workspace : Workspace or None
        Buffers to compute in, for blocks of at most its number of rows.

    Returns
    -------
    loss : float, sum_i weights[i] * loss_i over the block's rows.
    """
    layer_buffers = None if workspace is None else workspace.layers
    delta_buffers = [None] * len(coefs) if workspace is None else workspace.deltas
    layers = forward(coefs, intercepts, X, activation, layer_buffers)
    z_out = layers[-1]
    block_loss = float(weights @ LOSS_FUNCTIONS[loss, out_activation](z_out, Y))
    ACTIVATIONS[out_activation](z_out)
    delta = output_delta(z_out, Y, loss)  # (n_rows, n_outputs), dL_i/dz
    delta *= weights[:, None]
    # backprop: delta of layer i+1 -> gradient of syn_i -> delta of layer i
    for i in range(len(coefs) - 1, -1, -1):
        l_in = X if i == 0 else layers[i - 1]
        coef_grads[i] += np.asarray(l_in.T @ delta)  # syn_i += l_i.T.dot(l_{i+1}_delta)
        if intercept_grads[i] is not None:
            intercept_grads[i] += delta.sum(axis=0)
        if i > 0:
            # l_i_error = l_{i+1}_delta.dot(syn_i.T); l_i_delta = l_i_error * act'(l_i)
            delta = matmul_into(delta, coefs[i].T, delta_buffers[i - 1])
            DERIVATIVES[activation](layers[i - 1], delta)
    return block_loss


def predict_logits(coefs, intercepts, X, activation):
    """Output layer before its activation, (n_samples, n_outputs)."""
    return forward(coefs, intercepts, X, activation)[-1]


def add_l2_penalty(coefs, coef_grads, alpha):
    """Add alpha/2 * sum ||W||**2 to the loss and alpha * W to its gradient.

    ``alpha`` is already divided by the total sample weight.
    """
    penalty = 0.0
    for W, W_grad in zip(coefs, coef_grads):
        penalty += 0.5 * alpha * float(np.vdot(W, W))
        W_grad += alpha * W
    return penalty
