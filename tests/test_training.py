"""The fit loop's rules: no-improvement stopping."""

from sklearn_tinynet._training import NoImprovementStopper


def test_no_improvement_stopper():
    stopper = NoImprovementStopper(tol=0.1, patience=2)
    assert stopper.update(1.0) == (True, False)
    assert stopper.update(0.95) == (True, False)  # better, but by less than tol
    assert stopper.update(0.94) == (True, False)
    assert stopper.update(0.93) == (True, True)  # third in a row within tol
    stopper = NoImprovementStopper(tol=0.1, patience=2)
    for value in (1.0, 0.95, 0.8, 0.79, 0.78):
        _, stop = stopper.update(value)
    assert not stop and stopper.best == 0.78


def test_no_improvement_boundaries():
    # exactly best - tol counts as an improvement; a tie is not a new best
    stopper = NoImprovementStopper(tol=0.25, patience=0)
    assert stopper.update(1.0) == (True, False)
    assert stopper.update(0.75) == (True, False)  # 0.75 > 1.0 - 0.25 is False
    assert stopper.update(0.75) == (False, True)  # tie: not better, no progress
    stopper = NoImprovementStopper(tol=0.0, patience=0)
    stopper.update(1.0)
    assert stopper.update(1.0) == (False, False)  # tol=0: a tie is no worse
    assert stopper.update(1.5) == (False, True)
