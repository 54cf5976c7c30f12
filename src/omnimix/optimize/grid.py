"""Exact global search on a grid: dynamic programming with max-plus convolution.

Spend above the channel minimums is cut into ``N`` steps of ``h``. Each channel's value on its grid is
combined by max-plus convolution; disjoint groups are combined first (their caps and floors mask the
group's value function), then across groups and ungrouped channels. This finds the best grid
allocation whatever the curves' shapes (S-shaped Hill curves included: a channel that is worthless at
zero spend is switched on when its whole curve pays), and yields the best value for *every* budget up
to the total at once (the efficient frontier).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from omnimix.curves import FloatArray
from omnimix.optimize.objective import _Problem


def _maxplus(v: FloatArray, f: FloatArray) -> tuple[FloatArray, NDArray[np.int32]]:
    """``W[b] = max_k v[b-k] + f[k]``; shapes (N+1,), (m+1,) → (N+1,), argmax k (N+1,)."""
    n = v.shape[0] - 1
    m = min(f.shape[0] - 1, n)
    w = v + f[0]
    arg = np.zeros(n + 1, dtype=np.int32)
    for k in range(1, m + 1):
        fk = f[k]
        if fk == -np.inf:
            continue
        cand = v[: n + 1 - k] + fk
        sub = w[k:]
        mask = cand > sub
        np.copyto(sub, cand, where=mask)
        np.copyto(arg[k:], k, where=mask)
    return w, arg


@dataclass
class _Chain:
    """A DP chain over a list of units; ``args[s]`` is the argmax table when unit s+1 joined."""

    value: FloatArray
    args: list[NDArray[np.int32]]

    def split(self, b: int) -> list[int]:
        ks = [0] * (len(self.args) + 1)
        for s in range(len(self.args), 0, -1):
            k = int(self.args[s - 1][b])
            ks[s] = k
            b -= k
        ks[0] = b
        return ks


def _chain(funcs: Sequence[FloatArray], n: int) -> _Chain:
    first = np.full(n + 1, -np.inf)
    m0 = min(funcs[0].shape[0], n + 1)
    first[:m0] = funcs[0][:m0]
    value = first
    args = []
    for f in funcs[1:]:
        value, arg = _maxplus(value, f)
        args.append(arg)
    return _Chain(value, args)


@dataclass
class _DPResult:
    step: float
    frontier: FloatArray  # best value at spend sum(lower) + b*step, shape (N+1,)
    outer: _Chain
    units: list[tuple[NDArray[np.intp], _Chain | None]]

    def allocation(self, b: int, lower: FloatArray) -> FloatArray:
        x = lower.copy()
        for (idx, inner), kb in zip(self.units, self.outer.split(b), strict=True):
            if inner is None:
                x[idx[0]] += kb * self.step
            else:
                for j, kj in zip(idx, inner.split(kb), strict=True):
                    x[j] += kj * self.step
        return x


def _dp(prob: _Problem, n_grid: int, budget: float) -> _DPResult:
    rc = prob.rc
    lower, upper = rc.lower, rc.upper
    room = budget - lower.sum()
    n = n_grid if room > 0 else 0
    h = room / n if n > 0 else 0.0
    c = prob.curves.n_channels

    def channel_values(j: int) -> FloatArray:
        m = 0 if h == 0 else math.floor((upper[j] - lower[j]) / h + 1e-9)
        m = min(m, n)
        x = lower[j] + h * np.arange(m + 1)
        vals = prob.v * prob.curves.response(x, channel=j) - prob.c * x
        return np.asarray(vals)

    grouped = np.zeros(c, dtype=bool)
    units: list[tuple[NDArray[np.intp], _Chain | None]] = []
    funcs: list[FloatArray] = []
    for g in rc.groups:
        grouped[g.index] = True
        inner = _chain([channel_values(int(j)) for j in g.index], n)
        w = inner.value.copy()
        base = lower[g.index].sum()
        if h > 0:
            hi_k = math.floor((g.upper - base) / h + 1e-9) if np.isfinite(g.upper) else n
            lo_k = math.ceil((g.lower - base) / h - 1e-9)
            w[np.arange(n + 1) > hi_k] = -np.inf
            w[np.arange(n + 1) < lo_k] = -np.inf
        units.append((g.index, inner))
        funcs.append(w)
    for j in np.flatnonzero(~grouped):
        units.append((np.array([j], dtype=np.intp), None))
        funcs.append(channel_values(int(j)))
    outer = _chain(funcs, n)
    return _DPResult(step=h, frontier=outer.value, outer=outer, units=units)
