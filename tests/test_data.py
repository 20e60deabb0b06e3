"""Training data: the validation split, canonical rows, class weights."""

import numpy as np
import scipy.sparse as sp

from sklearn_tinynet._data import canonical_rows, lexicographic_order, validation_mask


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


def test_canonical_rows_sort_by_content_and_merge_duplicates():
    # few distinct values per column: ties on the first columns, duplicates
    rng = np.random.RandomState(0)
    X = rng.randint(-2, 3, size=(300, 4)) * np.array([1.0, 1.0, 0.5, 1e-300])
    X[:, 0] = 1.0  # a constant first column
    X[X == 0] = rng.choice([0.0, -0.0], size=(X == 0).sum())  # -0.0 equals 0.0
    Y = rng.randint(0, 2, size=300)
    weights = rng.uniform(size=300)
    weights[:10] = 0  # dropped, unless a copy has weight
    X_rows, Y_rows, merged, counts = canonical_rows(X, Y, weights)
    key = np.c_[X, Y]
    expected, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    totals = np.bincount(inverse, weights=weights)
    keep = totals > 0
    assert len(expected) < 300  # there were duplicates to merge
    np.testing.assert_array_equal(np.c_[X_rows, Y_rows], expected[keep])
    np.testing.assert_allclose(merged, totals[keep], rtol=1e-15)
    np.testing.assert_array_equal(counts, np.bincount(inverse)[keep])
    # the same rows for any row order, and for sparse X
    order = rng.permutation(300)
    X_shuffled, *_ = canonical_rows(X[order], Y[order], weights[order])
    np.testing.assert_array_equal(X_shuffled, X_rows)
    X_sparse, *_ = canonical_rows(sp.csr_matrix(X), Y, weights)
    np.testing.assert_array_equal(X_sparse.toarray(), X_rows)


def test_lexicographic_order_is_numpy_unique_order():
    rng = np.random.RandomState(1)
    key = rng.normal(size=(500, 6)) * 10.0 ** rng.randint(-300, 300, size=(500, 6))
    key[:, :2] = rng.randint(-1, 2, size=(500, 2))  # ties on the first columns
    key[rng.uniform(size=key.shape) < 0.1] = -0.0
    key[:, 3] = np.where(key[:, 3] > 0, np.inf, key[:, 3])
    order = lexicographic_order(key)
    np.testing.assert_array_equal(order, np.lexsort(key.T[::-1]))
    np.testing.assert_array_equal(lexicographic_order(np.asfortranarray(key)), order)
    # np.unique's rows in that order, the duplicates left out
    unique_rows = np.unique(key, axis=0)
    sorted_key = key[order]
    distinct = np.r_[True, np.any(sorted_key[1:] != sorted_key[:-1], axis=1)]
    np.testing.assert_array_equal(sorted_key[distinct], unique_rows)
