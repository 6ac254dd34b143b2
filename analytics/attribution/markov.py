"""Markov-chain attribution: an absorbing chain over paths, credited by removal effect.

States are ``start``, one state per step key (or, for ``order=k``, per tuple of the last
``k`` keys; the first steps of a path use shorter tuples), ``conversion`` and ``null``.
Every journey walks ``start -> step states -> conversion | null``; transition
probabilities are the observed transition counts normalised per state (self-loops from
repeated keys are kept: they delay absorption but never change its probability).

With ``Q`` the transitions among transient states and ``r`` the one-step conversion
probabilities, the conversion probability from every state solves ``(I - Q) x = r``
exactly. Removing a key turns every state containing it into ``null``; its removal
effect is ``1 - p_without / p``, and conversions are split in proportion to the removal
effects. Revenue uses the same chain weighted by value: converting journeys weigh their
revenue and non-converting ones the mean order value, so with equal order values revenue
credit is exactly conversion credit times that value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg

from analytics.attribution._result import run_model
from analytics.attribution._table import PathTable, table_from_paths

# Up to this many matrix cells (states^2 x systems) the removal systems are solved
# together, dense; above it sparse, one key at a time, to bound memory.
_DENSE_CELLS = 4_000_000


def markov(paths: pl.DataFrame, *, order: int = 1) -> pl.DataFrame:
    """Removal-effect attribution on an order-``order`` absorbing Markov chain
    (``ATTRIBUTION_SCHEMA``); see the module docstring for the definition."""
    return run_model(markov_batch, table_from_paths(paths), order=order)


def markov_batch(
    table: PathTable,
    conversions: np.ndarray,
    value: np.ndarray,
    nulls: np.ndarray,
    *,
    order: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be an integer >= 1, got {order!r}")
    chain = table.derived(("markov", order), lambda: _Chain.build(table, order))
    conversion_credit = np.zeros((conversions.shape[0], len(table.keys)))
    revenue_credit = np.zeros_like(conversion_credit)
    for replicate in range(conversions.shape[0]):
        converted, lost = conversions[replicate], nulls[replicate]
        conversion_credit[replicate] = chain.credit(converted, lost)
        mean_value = value[replicate].sum() / converted.sum() if converted.sum() > 0 else 0.0
        revenue_credit[replicate] = chain.credit(value[replicate], lost * mean_value)
    return conversion_credit, revenue_credit


@dataclass(frozen=True, eq=False)
class _Chain:
    states: int  # transient states; state 0 is start
    contains: np.ndarray  # (states, keys): the state's tuple holds the key
    edge_from: np.ndarray
    edge_to: np.ndarray
    row_edges: sparse.csr_array  # (rows, edges): how often each row's path takes the edge
    last_state: np.ndarray  # (rows,): the state a row's path is absorbed from

    @classmethod
    def build(cls, table: PathTable, order: int) -> _Chain:
        base = len(table.keys) + 1
        if base**order >= 2**62:
            raise ValueError(
                f"order={order} with {len(table.keys)} keys has too many states; lower order"
            )
        # a state is its tuple of (code + 1) digits in base `keys + 1`; 0 pads short tuples
        encoded = np.zeros(len(table.codes), dtype=np.int64)
        for lag in range(order):
            earlier = np.maximum(np.arange(len(table.codes)) - lag, 0)
            digit = np.where(table.position >= lag, table.codes[earlier] + 1, 0)
            encoded += digit * base**lag
        tuples, state_of_step = np.unique(encoded, return_inverse=True)
        state_of_step = state_of_step.ravel() + 1
        contains = np.zeros((len(tuples) + 1, len(table.keys)), dtype=bool)
        for lag in range(order):
            digit = (tuples // base**lag) % base
            has = digit > 0
            contains[np.flatnonzero(has) + 1, digit[has] - 1] = True

        previous = np.where(table.position > 0, np.roll(state_of_step, 1), 0)
        states = len(tuples) + 1
        pairs, edge_of_step = np.unique(previous * states + state_of_step, return_inverse=True)
        row_edges = sparse.csr_array(
            (np.ones(len(table.codes)), (table.row_of_step, edge_of_step.ravel())),
            shape=(table.rows, len(pairs)),
        )
        return cls(
            states=states,
            contains=contains,
            edge_from=pairs // states,
            edge_to=pairs % states,
            row_edges=row_edges,
            last_state=state_of_step[table.offsets[1:] - 1],
        )

    def credit(self, converted: np.ndarray, lost: np.ndarray) -> np.ndarray:
        keys = self.contains.shape[1]
        total = converted.sum()
        if total <= 0:
            return np.zeros(keys)
        inner = self.row_edges.T @ (converted + lost)
        to_conversion = np.bincount(self.last_state, converted, minlength=self.states)
        outflow = (
            np.bincount(self.edge_from, inner, minlength=self.states)
            + to_conversion
            + np.bincount(self.last_state, lost, minlength=self.states)
        )
        # a state no journey of this resample visits is unreachable: give it an empty row
        outflow[outflow == 0] = 1.0
        probability = inner / outflow[self.edge_from]
        r = to_conversion / outflow
        keep = np.ones((keys + 1, self.states))
        keep[1:] = ~self.contains.T
        converting = self._solve(probability, r, keep)
        base = converting[0]
        effect = np.clip(1.0 - converting[1:] / base, 0.0, None)
        removal: np.ndarray = total * effect / effect.sum()
        return removal

    def _solve(self, probability: np.ndarray, r: np.ndarray, keep: np.ndarray) -> np.ndarray:
        # a removed state's row is cleared, which makes it absorb into null
        if self.states**2 * len(keep) <= _DENSE_CELLS:
            q = np.zeros((self.states, self.states))
            np.add.at(q, (self.edge_from, self.edge_to), probability)
            systems = np.eye(self.states) - keep[:, :, None] * q
            return np.linalg.solve(systems, (keep * r)[:, :, None])[:, 0, 0]
        q = sparse.csr_array(
            (probability, (self.edge_from, self.edge_to)), shape=(self.states, self.states)
        )
        identity = sparse.identity(self.states, format="csc")
        results = np.empty(len(keep))
        for index, kept in enumerate(keep):
            system = sparse.csc_array(identity - sparse.diags_array(kept) @ q)
            results[index] = sparse_linalg.spsolve(system, kept * r)[0]
        return results
