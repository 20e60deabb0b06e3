"""Training data: the validation split, canonical rows, class weights."""

import numpy as np
import scipy.sparse as sp

from sklearn_tinynet._data import validation_mask


def test_early_stopping_split_follows_row_content():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    Y = rng.randint(0, 2, size=(400, 1)).astype(float)
    w = np.ones(400)
    mask = validation_mask(X, Y, w, 0.25, seed=7)
    assert 0.15 < mask.mean() < 0.35
    # duplicates land on the same side, and row order does not matter
    X2, Y2 = np.r_[X, X[:50]], np.r_[Y, Y[:50]]
    mask2 = validation_mask(X2, Y2, np.ones(450), 0.25, seed=7)
    np.testing.assert_array_equal(mask2[400:], mask[:50])
    order = rng.permutation(400)
    mask_ordered = validation_mask(X[order], Y[order], w, 0.25, 7)
    np.testing.assert_array_equal(mask_ordered, mask[order])
    assert not np.array_equal(validation_mask(X, Y, w, 0.25, seed=8), mask)
    mask_sparse = validation_mask(sp.csr_matrix(X), Y, w, 0.25, 7)
    np.testing.assert_array_equal(mask_sparse, mask)
    # rows of zero weight are never held out; some row always is
    w[mask] = 0
    assert not validation_mask(X, Y, w, 0.25, 7)[mask].any()
    assert validation_mask(X, Y, w, 1e-9, 7).sum() == 1
