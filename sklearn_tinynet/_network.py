"""The network's math in the tutorial's notation: forward pass, losses, backprop."""

# l0 = X, l1 = act(l0 @ syn0 + b0), l2 = act(l1 @ syn1 + b1), ...; the output
# layer is kept as logits z, before its activation, so that losses and
# probabilities are computed stably from them. coefs[i] is the tutorial's
# syn_i, shape (fan_in, fan_out); intercepts[i] is its bias (fan_out,), or None.
# Every function takes arrays of one Array API namespace ``xp``; no labels, no
# scikit-learn, no buffers (``_inplace`` has the numpy speed-ups).

from dataclasses import dataclass

import numpy as np

# --- activations a = act(z), and their slopes act'(z) computed from a -------


def sigmoid(z, xp):
    # nonlin(x) = 1 / (1 + exp(-x)) = (1 + tanh(x / 2)) / 2, which cannot overflow
    return 0.5 * xp.tanh(0.5 * z) + 0.5


def relu(z, xp):
    return xp.where(z > 0, z, xp.zeros_like(z))


ACTIVATIONS = {
    "identity": lambda z, xp: z,
    "logistic": sigmoid,
    "tanh": lambda z, xp: xp.tanh(z),
    "relu": relu,
}

# the tutorial's nonlin(l1, deriv=True): act'(z) from the layer's output a
SLOPES = {
    "identity": lambda a, xp: xp.ones_like(a),
    "logistic": lambda a, xp: a * (1 - a),
    "tanh": lambda a, xp: 1 - a * a,
    "relu": lambda a, xp: xp.astype(a > 0, a.dtype),
}

# --- losses of the logits z (n_rows, n_outputs), per row (n_rows,) ----------


def softplus(z, xp):
    # log(1 + exp(z))
    return xp.logaddexp(xp.zeros_like(z), z)


def log_sigmoid(z, xp):
    # log(1 / (1 + exp(-z))) = -softplus(-z)
    return -softplus(-z, xp)


def logsumexp(z, xp):
    z_max = xp.max(z, axis=1, keepdims=True)
    return xp.log(xp.sum(xp.exp(z - z_max), axis=1)) + z_max[:, 0]


def log_softmax(z, xp):
    return z - logsumexp(z, xp)[:, None]


def softmax(z, xp):
    e = xp.exp(z - xp.max(z, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def log_loss_logistic(z, Y, xp):
    # -y log p - (1 - y) log(1 - p) with p = sigmoid(z) is softplus(z) - y z
    return xp.sum(softplus(z, xp) - Y * z, axis=1)


def log_loss_softmax(z, Y, xp):
    # -sum_k y_k log softmax(z)_k = logsumexp(z) - sum_k y_k z_k, as sum_k y_k = 1
    return logsumexp(z, xp) - xp.sum(Y * z, axis=1)


def squared_error_logistic(z, Y, xp):
    # the tutorial's loss: 1/2 sum_k (y_k - sigmoid(z_k))**2
    return 0.5 * xp.sum((Y - sigmoid(z, xp)) ** 2, axis=1)


def squared_error_identity(z, Y, xp):
    # 1/2 sum_k (y_k - z_k)**2, regression's least squares
    return 0.5 * xp.sum((Y - z) ** 2, axis=1)


def poisson_exp(z, Y, xp):
    # half the Poisson deviance of mu = exp(z), the log link:
    # sum_k y_k log(y_k / mu_k) - y_k + mu_k = sum_k y_k log y_k - y_k z_k - y_k + mu_k
    y_log_y = Y * xp.log(xp.where(Y > 0, Y, xp.ones_like(Y)))  # 0 log 0 = 0
    return xp.sum(y_log_y - Y * z - Y + xp.exp(z), axis=1)


# the output layer, keyed by (loss, output activation): L_i of the logits,
# the activation P = out_act(z), and dL/dz from P
LOSSES = {
    ("log_loss", "logistic"): log_loss_logistic,
    ("log_loss", "softmax"): log_loss_softmax,
    ("squared_error", "logistic"): squared_error_logistic,
    ("squared_error", "identity"): squared_error_identity,
    ("poisson", "exp"): poisson_exp,
}

OUT_ACTIVATIONS = {
    "logistic": sigmoid,
    "softmax": softmax,
    "identity": lambda z, xp: z,
    "exp": lambda z, xp: xp.exp(z),
}


def output_delta(P, Y, loss, out_activation):
    """dL/dz of one row's loss at the output layer, for outputs P = out_act(z)."""
    if (loss, out_activation) == ("squared_error", "logistic"):
        # (p - y) * p * (1 - p): minus the tutorial's l2_error * nonlin(l2, True)
        return (P - Y) * (P * (1 - P))
    # each other pair is a canonical link: log-loss with sigmoid or softmax,
    # squared error with identity, Poisson with exp
    return P - Y


# --- the output layer's probabilities, shared with the ONNX converter -------


def output_proba(z, out_activation, multilabel, xp):
    """Class probabilities (n_rows, n_classes) of the logits (n_rows, n_outputs)."""
    if out_activation == "softmax":
        return softmax(z, xp)
    # exp(log_sigmoid(z)) keeps a small probability's relative precision,
    # which sigmoid(z) = 0.5 * tanh(z / 2) + 0.5 loses below about 1e-8
    if multilabel:
        return xp.exp(log_sigmoid(z, xp))
    if z.shape[1] == 1:  # binary: one logit for the positive class
        return xp.exp(xp.concat([log_sigmoid(-z, xp), log_sigmoid(z, xp)], axis=1))
    return softmax(log_sigmoid(z, xp), xp)  # sigmoids normalised to sum to one


def output_log_proba(z, out_activation, multilabel, xp):
    """log of ``output_proba``, computed without log(0)."""
    if out_activation == "softmax":
        return log_softmax(z, xp)
    if multilabel:
        return log_sigmoid(z, xp)
    if z.shape[1] == 1:
        return xp.concat([log_sigmoid(-z, xp), log_sigmoid(z, xp)], axis=1)
    return log_softmax(log_sigmoid(z, xp), xp)


def output_prediction(z, out_activation, xp):
    """A regressor's predictions (n_rows, n_outputs): out_act of the logits."""
    return OUT_ACTIVATIONS[out_activation](z, xp)


# --- initial weights ----------------------------------------------------------


def init_uniform(random_state, fan_in, fan_out, activation):
    """The tutorial's ``2 * np.random.random((fan_in, fan_out)) - 1``."""
    return 2 * random_state.random_sample((fan_in, fan_out)) - 1


def init_glorot_uniform(random_state, fan_in, fan_out, activation):
    """Glorot & Bengio (2010) uniform weights, with their factor 2 for sigmoid."""
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    return random_state.uniform(-bound, bound, (fan_in, fan_out))


def init_lecun_uniform(random_state, fan_in, fan_out, activation):
    """LeCun et al. (1998) uniform weights: ``U(-b, b)``, ``b = sqrt(3 / fan_in)``.

    Each unit's pre-activation has variance 1 when its inputs do, whatever
    the layer's width: the units start on the curved part of the sigmoid.
    Glorot's bound also shrinks with ``fan_out``: 2 inputs into 100 logistic
    units start with ``std(z)`` about 0.1, where the sigmoid is nearly linear.
    """
    bound = np.sqrt(3.0 / fan_in)
    return random_state.uniform(-bound, bound, (fan_in, fan_out))


INITS = {
    "lecun_uniform": init_lecun_uniform,
    "glorot_uniform": init_glorot_uniform,
    "uniform": init_uniform,
}

# --- the network: forward pass and backprop of one block of rows ------------


@dataclass(frozen=True)
class Network:
    """What a network computes; its weights are passed to every call."""

    activation: str = "logistic"  # hidden layers
    out_activation: str = "softmax"  # 'logistic', 'softmax', 'identity' or 'exp'
    loss: str = "log_loss"  # 'log_loss', 'squared_error' or 'poisson'

    def __post_init__(self):
        if (self.loss, self.out_activation) not in LOSSES:
            raise ValueError(
                f"No output layer for loss={self.loss!r} with out_activation="
                f"{self.out_activation!r}; the pairs are {sorted(LOSSES)}."
            )

    def forward(self, coefs, intercepts, X, xp):
        """[l0, l1, ..., z]: the input, each hidden layer, the output logits."""
        layers = [X]
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            z = layers[-1] @ W  # (n_rows, fan_out)
            if b is not None:
                z = z + b
            is_output = i == len(coefs) - 1
            layers.append(z if is_output else ACTIVATIONS[self.activation](z, xp))
        return layers

    def loss_per_row(self, z, Y, xp):
        """L_i of the logits z and the target rows Y, both (n_rows, n_outputs)."""
        return LOSSES[self.loss, self.out_activation](z, Y, xp)

    def weighted_loss(self, coefs, intercepts, X, Y, weights, xp):
        """sum_i weights[i] * L_i over one block of rows."""
        z = self.forward(coefs, intercepts, X, xp)[-1]
        return float(xp.sum(weights * self.loss_per_row(z, Y, xp)))

    def loss_and_gradient(self, coefs, intercepts, X, Y, weights, xp):
        """sum_i weights[i] * L_i over one block of rows, and its gradient.

        Returns the loss, then lists of dloss/dW and dloss/db per layer
        (None where the layer has no bias).
        """
        layers = self.forward(coefs, intercepts, X, xp)
        z = layers[-1]
        loss = float(xp.sum(weights * self.loss_per_row(z, Y, xp)))
        P = OUT_ACTIVATIONS[self.out_activation](z, xp)
        delta = output_delta(P, Y, self.loss, self.out_activation)  # l2_delta
        delta = delta * weights[:, None]
        coef_grads, intercept_grads = [], []
        for i in range(len(coefs) - 1, -1, -1):
            coef_grads.insert(0, layers[i].T @ delta)  # l_i.T.dot(l_{i+1}_delta)
            has_bias = intercepts[i] is not None
            intercept_grads.insert(0, xp.sum(delta, axis=0) if has_bias else None)
            if i > 0:
                error = delta @ coefs[i].T  # l_i_error = l_{i+1}_delta.dot(syn_i.T)
                delta = error * SLOPES[self.activation](layers[i], xp)  # l_i_delta
        return loss, coef_grads, intercept_grads
