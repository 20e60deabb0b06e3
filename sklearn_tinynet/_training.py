"""The fit loop: loss curves, stopping rules, divergence, best weights, callbacks."""

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _compat, _solvers


@dataclass
class Settings:
    """How to train: the estimator's solver and stopping parameters."""

    solver: str = "lbfgs"  # 'gd' or 'lbfgs'
    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10
    learning_rate: float = 0.5  # gd
    momentum: float = 0.9  # gd
    nesterov: bool = True  # gd
    verbose: bool = False
    warn_at_max_iter: bool = True  # False for partial_fit's single update


@dataclass
class History:
    """What one call to ``train`` did; curves continue those passed in."""

    loss_curve: list = field(default_factory=list)
    validation_loss_curve: list | None = None
    best_loss: float = np.inf
    best_validation_loss: float | None = None
    n_iter: int = 0  # updates in this call
    rows_seen: int = 0  # rows times updates, in the calls before this one
    velocity: object = None  # gd's momentum, carried across partial_fit calls


class NoImprovementStopper:
    """Stop when a value has not improved by ``tol`` for more than ``patience`` calls.

    scikit-learn MLP's rule: a value counts as no improvement when it is above
    ``best - tol``; it is a new best when it is below ``best``.
    """

    def __init__(self, tol, patience):
        self.tol = tol
        self.patience = patience
        self.best = np.inf
        self.count = 0

    def update(self, value):
        """Record ``value``; return (is_new_best, should_stop)."""
        self.count = self.count + 1 if value > self.best - self.tol else 0
        is_new_best = value < self.best
        if is_new_best:
            self.best = value
        return is_new_best, self.count > self.patience


class CallbackBridge:
    """scikit-learn's callbacks (``sklearn.callback``, 1.9+), one task per iteration.

    Each iteration is a subtask of the fit task: ``begin_iteration`` before it
    runs, ``end_iteration`` after, with ``fitted_attributes()`` giving the
    model of the current weights. ``close`` ends an iteration that began but
    did not run, then the fit task. Without callbacks, every call does nothing.
    """

    def __init__(self, estimator, X, y, fitted_attributes, max_iter):
        self.task = {"estimator": estimator, "X": X, "y": y}
        self.fitted_attributes = fitted_attributes
        self.iteration = None
        self.context = _compat.init_callback_context(estimator, max_iter)
        if self.context is not None:
            self.context.call_on_fit_task_begin(**self.task)

    def begin_iteration(self):
        if self.context is None:
            return
        self.iteration = self.context.subcontext(task_name="iteration")
        self.iteration.call_on_fit_task_begin(
            **self.task, reconstruction_attributes=self.fitted_attributes
        )

    def end_iteration(self):
        """End the running iteration; True when a callback asks to stop."""
        if self.iteration is None:
            return False
        stop = self.iteration.call_on_fit_task_end(
            **self.task, reconstruction_attributes=self.fitted_attributes
        )
        self.iteration = None
        return bool(stop)

    def close(self):
        if self.iteration is not None:
            self.iteration.call_on_fit_task_end(estimator=self.task["estimator"])
            self.iteration = None
        if self.context is not None:
            self.context.call_on_fit_task_end(
                **self.task, reconstruction_attributes=self.fitted_attributes
            )


class _Recorder:
    """Logs each iteration, applies the stopping rule and keeps best weights."""

    def __init__(self, settings, history, validation_loss):
        self.settings, self.history = settings, history
        self.validation_loss = validation_loss
        self.stopper = NoImprovementStopper(settings.tol, settings.n_iter_no_change)
        self.fit_start = len(history.loss_curve)
        self.best_theta = None  # lowest validation loss
        self.keep_lowest_loss = settings.solver == "gd"
        self.lowest_loss, self.lowest_loss_theta = np.inf, None
        if validation_loss is not None:
            history.validation_loss_curve = []

    def record(self, theta, loss):
        """Log the loss of ``theta``; True when training should stop."""
        history = self.history
        if self.keep_lowest_loss and loss < self.lowest_loss:
            self.lowest_loss, self.lowest_loss_theta = loss, _compat.copy(theta)
        history.loss_curve.append(float(loss))
        history.best_loss = min(history.best_loss, float(loss))
        message = f"Iteration {len(history.loss_curve)}, loss = {loss:.8f}"
        if self.validation_loss is not None:
            val_loss = self.validation_loss(theta)
            history.validation_loss_curve.append(val_loss)
            message += f", validation loss = {val_loss:.8f}"
            is_best, stop = self.stopper.update(val_loss)
            if is_best:
                self.best_theta = _compat.copy(theta)
            history.best_validation_loss = self.stopper.best
        else:
            _, stop = self.stopper.update(loss)
            # lbfgs crosses plateaus that this rule would stop on; scipy's
            # gradient test (gtol=tol) ends it instead
            stop = stop and self.settings.solver != "lbfgs"
        if self.settings.verbose:
            print(message)
        return stop

    def loss_rose(self):
        """Whether this call ended with a higher loss than it started with."""
        curve = self.history.loss_curve[self.fit_start :]
        return len(curve) > 1 and curve[-1] > curve[0]

    def diverged(self, theta):
        """Keep the weights of the lowest loss seen, and say why."""
        if self.lowest_loss_theta is not None:
            theta[...] = self.lowest_loss_theta
        warnings.warn(
            f"Training diverged: after {self.history.n_iter} updates the loss had "
            "grown or become infinite. The weights with the lowest training loss "
            f"were kept; lower learning_rate_init (now {self.settings.learning_rate})"
            " or scale the features.",
            ConvergenceWarning,
            stacklevel=2,
        )

    def not_converged(self):
        if self.settings.tol == 0:
            return  # tol=0 asks for exactly max_iter iterations
        warnings.warn(
            f"Stopped after max_iter={self.settings.max_iter} iterations without "
            "converging; increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )

    def restore_best(self, theta):
        if self.best_theta is not None:
            theta[...] = self.best_theta


def train(f, theta, settings, xp, *, validation_loss, callbacks, history):
    """Minimise ``f(theta) -> (loss, grad)`` from ``theta``, updated in place.

    ``validation_loss(theta)``, unless None, drives the stopping rule and picks
    the weights kept. ``callbacks`` is a CallbackBridge. ``history`` is
    extended: its loss curve continues and gd's velocity carries over.
    Returns ``history``.
    """
    recorder = _Recorder(settings, history, validation_loss)
    # Overflow is detected from the loss and handled as divergence.
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if settings.solver == "lbfgs":
            _run_lbfgs(f, theta, settings, xp, recorder, callbacks)
        else:
            _run_gd(f, theta, settings, xp, recorder, callbacks)
    recorder.restore_best(theta)
    return history


def _run_gd(f, theta, settings, xp, recorder, callbacks):
    history = recorder.history
    optimizer = _solvers.GradientDescent(
        settings.learning_rate, settings.momentum, settings.nesterov, history.velocity
    )
    for _ in range(settings.max_iter):
        callbacks.begin_iteration()
        loss, grad = f(theta)
        if not (math.isfinite(loss) and bool(xp.all(xp.isfinite(grad)))):
            recorder.diverged(theta)
            return
        if recorder.record(theta, loss):
            break
        optimizer.step(theta, grad)
        history.n_iter += 1
        history.velocity = optimizer.velocity
        if callbacks.end_iteration():
            break
    else:
        if settings.warn_at_max_iter:
            recorder.not_converged()
    if recorder.loss_rose():
        recorder.diverged(theta)


def _run_lbfgs(f, theta, settings, xp, recorder, callbacks):
    # scipy works on float64 numpy vectors: a round trip per evaluation for
    # other namespaces and devices
    device = None if isinstance(theta, np.ndarray) else theta.device

    def set_theta(theta64):
        theta[...] = xp.asarray(theta64, dtype=theta.dtype, device=device)

    def fun(theta64):
        set_theta(theta64)
        loss, grad = f(theta)
        return loss, _compat.to_numpy(grad).astype(np.float64)

    def callback(theta64, loss):
        set_theta(theta64)
        recorder.history.n_iter += 1
        stop = callbacks.end_iteration()
        if recorder.record(theta, loss) or stop:
            raise StopIteration
        callbacks.begin_iteration()

    callbacks.begin_iteration()
    theta64 = _compat.to_numpy(theta).astype(np.float64)
    result = _solvers.minimize_lbfgs(
        fun, theta64, settings.max_iter, settings.tol, callback
    )
    set_theta(result.x)
    if result.status == 1:
        recorder.not_converged()
