"""Shapley-value attribution over channel coalitions (Zhao et al., 2018).

The value of a coalition ``S`` of keys is ``v(S)`` = the conversions of the paths whose
set of keys is a subset of ``S`` (order and repeats within a path are ignored). A key's
credit is its Shapley value

    phi_j = sum over S not containing j of |S|! (n - |S| - 1)! / n! * (v(S + j) - v(S)).

Up to ``exact_limit`` keys (15 by default) this is computed from the definition:
conversions are summed by key-set bitmask, ``v`` is their subset-sum (zeta) transform
over all ``2**n`` bitmasks, and the sum above runs vectorised over the bitmasks. Because
``v`` is a sum of unanimity games (one per path), the Shapley value also has a closed
form: each path's conversions split equally over its distinct keys. With more keys the
closed form is used, which is exact too and linear in the number of paths (grouping by
campaign easily has hundreds of keys); tests check the transform against the identity.
Revenue uses the same game with conversion value in place of conversion counts. Keys
that appear only on non-converting paths get nothing (``v`` ignores them).
"""

from __future__ import annotations

from math import comb

import numpy as np
import polars as pl
from scipy import sparse

from analytics.attribution._result import run_model
from analytics.attribution._table import PathTable, table_from_paths

# Bound the (rows x 2**n) coalition table to ~32 MB per block.
_BLOCK_CELLS = 1 << 22


def shapley(paths: pl.DataFrame, *, exact_limit: int = 15) -> pl.DataFrame:
    """Shapley-value attribution (``ATTRIBUTION_SCHEMA``): from the definition up to
    ``exact_limit`` converting keys, by the closed form beyond; see the module docstring."""
    return run_model(shapley_batch, table_from_paths(paths), exact_limit=exact_limit)


def shapley_batch(
    table: PathTable,
    conversions: np.ndarray,
    value: np.ndarray,
    nulls: np.ndarray,
    *,
    exact_limit: int = 15,
) -> tuple[np.ndarray, np.ndarray]:
    if not 1 <= exact_limit <= 24:
        raise ValueError(f"exact_limit must be between 1 and 24, got {exact_limit}")
    amounts = np.concatenate([conversions, value])
    credit = np.zeros((amounts.shape[0], len(table.keys)))
    # players come from the table's own amounts: resamples only redraw rows it has
    active = (table.conversions + table.value) > 0
    players = np.unique(table.codes[active[table.row_of_step]])
    if len(players):
        player_of_key = np.full(len(table.keys), -1)
        player_of_key[players] = np.arange(len(players))
        step_player = player_of_key[table.codes]
        if len(players) <= exact_limit:
            credit[:, players] = _exact(table, step_player, len(players), amounts)
        else:
            by_set, unit = table.derived(
                ("shapley", "closed form"),
                lambda: _closed_form(table, step_player, len(players)),
            )
            credit[:, players] = np.asarray((amounts @ by_set) @ unit)
    half = conversions.shape[0]
    return credit[:half], credit[half:]


def _exact(table: PathTable, step_player: np.ndarray, n: int, amounts: np.ndarray) -> np.ndarray:
    # steps of inactive rows may hold non-players (-1); their rows carry no amount
    bits = np.where(step_player >= 0, np.left_shift(1, np.maximum(step_player, 0)), 0)
    masks = np.bitwise_or.reduceat(bits, table.offsets[:-1])
    by_mask = sparse.csr_array(
        (np.ones(table.rows), (np.arange(table.rows), masks)), shape=(table.rows, 1 << n)
    )
    size = np.zeros(1 << n, dtype=np.int64)
    for bit in range(n):
        size += (np.arange(1 << n) >> bit) & 1
    weight = np.array([1.0 / (n * comb(n - 1, s)) for s in range(n)])
    phi = np.empty((amounts.shape[0], n))
    block = max(1, _BLOCK_CELLS >> n)
    for start in range(0, amounts.shape[0], block):
        v = np.asarray(amounts[start : start + block] @ by_mask)
        for bit in range(n):
            halves = v.reshape(len(v), -1, 2, 1 << bit)
            halves[:, :, 1, :] += halves[:, :, 0, :]
        for bit in range(n):
            halves = v.reshape(len(v), -1, 2, 1 << bit)
            gain = (halves[:, :, 1, :] - halves[:, :, 0, :]).reshape(len(v), -1)
            without = size.reshape(-1, 2, 1 << bit)[:, 0, :].ravel()
            phi[start : start + block, bit] = gain @ weight[without]
    return phi


def _closed_form(
    table: PathTable, step_player: np.ndarray, n: int
) -> tuple[sparse.csr_array, np.ndarray]:
    # rows -> distinct key sets, and each set's equal split over its members
    sets, set_of_row = _distinct_sets(table, step_player, n)
    sizes = sets.sum(axis=1, keepdims=True)
    unit = np.divide(sets, sizes, out=np.zeros(sets.shape), where=sizes > 0)
    by_set = sparse.csr_array(
        (np.ones(table.rows), (np.arange(table.rows), set_of_row)),
        shape=(table.rows, len(sets)),
    )
    return by_set, unit


def _distinct_sets(
    table: PathTable, step_player: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    words = np.empty((table.rows, (n + 63) // 64), dtype=np.uint64)
    for word in range(words.shape[1]):
        mine = (step_player >= 0) & (step_player // 64 == word)
        bits = np.where(
            mine, np.left_shift(np.uint64(1), (step_player % 64).astype(np.uint64)), np.uint64(0)
        )
        words[:, word] = np.bitwise_or.reduceat(bits, table.offsets[:-1])
    unique_words, set_of_row = np.unique(words, axis=0, return_inverse=True)
    players = np.arange(n)
    sets = (unique_words[:, players // 64] >> (players % 64).astype(np.uint64)) & np.uint64(1)
    return sets.astype(bool), set_of_row.ravel()
