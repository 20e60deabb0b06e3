"""The fit loop: loss curves, stopping rules, divergence, best weights, callbacks."""

import math
import sys
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
    # partial_fit's single update: no max_iter warning, and a run of calls
    # warns of divergence once
    incremental: bool = False


@dataclass
class History:
    """What one call to ``train`` did; curves continue those passed in."""

    loss_curve: list = field(default_factory=list)
    validation_loss_curve: list | None = None
    best_loss: float = np.inf
    best_validation_loss: float | None = None
    n_iter: int = 0  # iterations of this call (max_iter bounds them)
    rows_seen: int = 0  # rows times iterations, in the calls continued
    velocity: object = None  # gd's momentum, carried across partial_fit calls
    warned_divergence: bool = False  # in the partial_fit calls continued
    returned_loss: float | None = None  # the kept weights' loss, after divergence
    # a growing sample's iterations of this call: the sample each one used
    # (an index into the samples; len(samples) for all rows)
    sample_of_iteration: list | None = None


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
    """Logs each iteration, applies the stopping rule and keeps weights.

    Two sets of weights are kept: those of the lowest validation loss (early
    stopping), and those of the lowest finite training loss seen in this
    call, the starting weights included (divergence).
    """

    def __init__(self, settings, history, validation_loss, theta):
        self.settings, self.history = settings, history
        self.validation_loss = validation_loss
        self.stopper = NoImprovementStopper(settings.tol, settings.n_iter_no_change)
        self.best_theta = None  # lowest validation loss
        self.start_loss = None  # loss of the starting weights, when finite
        self.lowest_loss, self.lowest_theta = np.inf, _compat.copy(theta)
        self.not_finite = False  # a gd iterate whose loss or gradient overflowed
        if validation_loss is not None:
            # continues the fitted curve, NaN where that fit had no validation
            previous = history.validation_loss_curve
            n_previous = len(history.loss_curve)
            history.validation_loss_curve = (
                [math.nan] * n_previous if previous is None else list(previous)
            )
        else:
            history.validation_loss_curve = None

    def see(self, theta, loss):
        """Note a finite training loss of ``theta``, keeping the lowest."""
        if self.start_loss is None:
            self.start_loss = loss
        if loss < self.lowest_loss:
            self.lowest_loss, self.lowest_theta = loss, _compat.copy(theta)

    def record(self, theta, loss):
        """Log iteration ``n_iter`` with the loss of ``theta``; True to stop."""
        history = self.history
        history.n_iter += 1
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

    def finish(self, theta, final_loss, at_max_iter):
        """Put the weights to return in ``theta``; warn on divergence or max_iter.

        Training diverged when a gd iterate overflowed, or the final weights'
        loss is not finite or, in a fit, above the starting loss (a
        ``partial_fit`` update that raises the loss is kept, as the same
        update is in a fit). The weights returned are those of the lowest
        validation loss (early stopping); otherwise, after divergence, those
        of the lowest training loss seen, whose loss becomes
        ``history.returned_loss``.
        """
        rose = self.start_loss is not None and final_loss > self.start_loss
        diverged = (
            self.not_finite
            or not math.isfinite(final_loss)
            or (rose and not self.settings.incremental)
        )
        if math.isfinite(final_loss):
            self.see(theta, final_loss)
        if self.best_theta is not None:
            theta[...] = self.best_theta
            kept = "the weights with the lowest validation loss"
        elif diverged:
            theta[...] = self.lowest_theta
            kept = self._lowest_loss_weights()
            self.history.returned_loss = self.lowest_loss
        if diverged:
            self.history.velocity = None  # the momentum of the diverging steps
            if not (self.settings.incremental and self.history.warned_divergence):
                _warn(self._divergence_message(final_loss, kept))
            # a fit warns each time; a run of partial_fit calls once
            self.history.warned_divergence = self.settings.incremental
        elif at_max_iter and not self.settings.incremental and self.settings.tol:
            # tol=0 asks for exactly max_iter iterations
            _warn(
                f"Stopped after max_iter={self.settings.max_iter} iterations "
                "without converging; increase max_iter or tol."
            )

    def _lowest_loss_weights(self):
        if self.start_loss is None:
            return "the starting weights, whose loss was not finite either"
        if self.lowest_loss == self.start_loss:
            return "the starting weights"
        return "the weights with the lowest training loss"

    def _divergence_message(self, final_loss, kept):
        # No figures in the text: Python shows a warning once per line of
        # code and text, so a loop of partial_fit calls warns once.
        advice = "scale the features"
        if self.settings.solver == "gd":
            advice = (
                f"lower learning_rate_init (now {self.settings.learning_rate}) "
                f"or {advice}"
            )
        if self.start_loss is None:
            advice = (
                "check init, and alpha, which is divided by the sum of the "
                f"sample weights; {advice}"
            )
        if self.not_finite:
            what = "the loss or its gradient became infinite or NaN"
        elif not math.isfinite(final_loss):
            what = "the loss became infinite or NaN"
        else:
            what = "the loss rose above its starting value"
        return (
            f"Training diverged: {what}. Kept {kept} (the losses are in "
            f"loss_curve_); {advice}."
        )


def _warn(message, category=ConvergenceWarning):
    """A warning (ConvergenceWarning unless told) attributed to the caller's line.

    That is the first frame outside this package, scikit-learn and joblib
    (whose fit decorators, pipelines and meta-estimators add frames of their
    own).
    """
    frame, stacklevel = sys._getframe(1), 2
    while frame is not None and _is_internal(frame):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)


def _is_internal(frame):
    module = frame.f_globals.get("__name__", "")
    # joblib runs the fits of scikit-learn's meta-estimators
    return module.partition(".")[0] in ("sklearn_tinynet", "sklearn", "joblib")


def train(f, theta, settings, xp, *, validation_loss, callbacks, history, samples=()):
    """Minimise ``f(theta) -> (loss, grad)`` from ``theta``, updated in place.

    ``validation_loss(theta)``, unless None, drives the stopping rule and picks
    the weights kept. ``callbacks`` is a CallbackBridge. ``history`` is
    extended: its curves and iteration count continue and gd's velocity
    carries over. ``samples``, for lbfgs, are Sources of nested samples of
    the rows, smallest first, to train on before all rows (a growing
    sample). Every update is checked: the loss of the final weights is
    evaluated when the solver ends, unless already known, before the weights
    to return are chosen. Returns ``history``.
    """
    recorder = _Recorder(settings, history, validation_loss, theta)
    # Overflow is detected from the loss and handled as divergence.
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if settings.solver == "lbfgs":
            final_loss, at_max_iter = _run_lbfgs(
                f, samples, theta, settings, xp, recorder, callbacks
            )
        else:
            final_loss, at_max_iter = _run_gd(
                f, theta, settings, xp, recorder, callbacks
            )
        if final_loss is None:  # the result of the last update
            final_loss = _finite_loss(f, theta, xp)
        recorder.finish(theta, final_loss, at_max_iter)
    return history


def _all_finite(loss, grad, xp):
    return math.isfinite(loss) and bool(xp.all(xp.isfinite(grad)))


def _finite_loss(f, theta, xp):
    """The loss of ``theta``; infinity when the loss or its gradient is not finite."""
    loss, grad = f(theta)
    return float(loss) if _all_finite(loss, grad, xp) else math.inf


def _run_gd(f, theta, settings, xp, recorder, callbacks):
    """Gradient descent; returns (loss of the final weights or None, at max_iter)."""
    history = recorder.history
    optimizer = _solvers.GradientDescent(
        settings.learning_rate, settings.momentum, settings.nesterov, history.velocity
    )
    for _ in range(settings.max_iter):
        callbacks.begin_iteration()
        loss, grad = f(theta)
        if not _all_finite(loss, grad, xp):
            recorder.not_finite = True
            return math.inf, False
        recorder.see(theta, loss)
        stop = recorder.record(theta, loss)
        if not stop:  # the iteration that stops makes no update
            optimizer.step(theta, grad)
            history.velocity = optimizer.velocity
        if callbacks.end_iteration() or stop:
            return (loss if stop else None), False
    return None, True


def _iteration_end(theta, set_theta, recorder, callbacks):
    """The solver's ``callback(theta64, loss)``: logs the iteration, ends its
    callbacks' task and raises StopIteration when one of them or the
    stopping rule says so."""

    def callback(theta64, loss):
        set_theta(theta64)
        stop = recorder.record(theta, loss)  # logged before the callbacks see it
        if callbacks.end_iteration() or stop:
            raise StopIteration
        callbacks.begin_iteration()

    return callback


def _run_lbfgs(f, samples, theta, settings, xp, recorder, callbacks):
    """L-BFGS on the growing samples, if any, then on all rows.

    Returns (None, at max_iter): the final loss is not evaluated again.

    ``samples`` is a list of (sample, probe) Sources; each pair is entered
    when the solver reaches it and left when it moves on. Only all rows'
    losses count for divergence, the samples' being of other rows. The
    solver works on float64 numpy vectors: a round trip per evaluation for
    other namespaces and devices.
    """
    device = None if isinstance(theta, np.ndarray) else theta.device
    history = recorder.history
    history.sample_of_iteration = []
    n_samples = len(samples)
    entered = []  # the samples entered, the last still open

    def set_theta(theta64):
        theta[...] = xp.asarray(theta64, dtype=theta.dtype, device=device)

    def leave():
        if entered and entered[-1] < n_samples:
            for source in samples[entered[-1]]:
                source.__exit__(None, None, None)

    def reach(k):
        if not entered or entered[-1] != k:
            leave()
            entered.append(k)
            if k < n_samples:
                for source in samples[k]:
                    source.__enter__()

    def stage_function(k):
        def fun(theta64):
            reach(k)
            set_theta(theta64)
            if k == n_samples:
                loss, grad = f(theta)
                variance = None
                if _all_finite(loss, grad, xp):
                    recorder.see(theta, loss)
            else:
                loss, grad = samples[k][0].loss_and_gradient(theta)
                variance = samples[k][0].gradient_variance(along=grad)
            return loss, _compat.to_numpy(grad).astype(np.float64), variance

        return fun

    def probe_function(k):
        def probe(theta64):
            set_theta(theta64)
            return samples[k][1].loss(theta)

        return probe

    end = _iteration_end(theta, set_theta, recorder, callbacks)

    def callback(theta64, loss, k):
        history.sample_of_iteration.append(k)
        end(theta64, loss)

    callbacks.begin_iteration()
    theta64 = _compat.to_numpy(theta).astype(np.float64)
    try:
        n_iter, status = _solvers.minimize_lbfgs(
            [stage_function(k) for k in range(n_samples + 1)],
            [probe_function(k) for k in range(n_samples)],
            theta64, settings.max_iter, settings.tol, callback,
        )  # fmt: skip
    except StopIteration:
        n_iter, status = None, "stopped"
    finally:
        leave()
    set_theta(theta64)
    if n_iter == 0 and status == "no_step":
        _warn(
            "L-BFGS made no step: its line search found no loss lower than "
            "the starting weights', which are returned untrained. Scale the "
            "features, or lower alpha relative to the sum of sample_weight."
        )
    return None, status == "max_iter"
