"""Least squares on the probability simplex: the weight problem of synthetic control and synthetic DiD.

:func:`simplex_ls` solves ``min_w ||A w - b||² + eta ||w||²`` subject to ``w >= 0, sum(w) = 1`` by
accelerated projected gradient (FISTA with adaptive restart) and a final exact polish on the active
set (or an exact active-set solve through NNLS when its KKT check passes, which is the usual case);
:func:`project_simplex` is the Euclidean projection (Duchi et al. 2008). Tested against a
brute-force enumeration of supports (tests/experiments/test_simplex.py).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls

Arr = NDArray[np.float64]


def project_simplex(v: Arr) -> Arr:
    """The point of the probability simplex closest to ``v``."""
    n = v.size
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    ind = np.arange(1, n + 1)
    rho = int(np.nonzero(u - css / ind > 0)[0][-1])
    theta = css[rho] / (rho + 1.0)
    return np.asarray(np.maximum(v - theta, 0.0), dtype=float)


def _polish(A: Arr, b: Arr, eta: float, w: Arr) -> Arr:
    """Solve the equality-constrained problem on ``w``'s support; keep it when feasible and better."""
    s = np.flatnonzero(w > 1e-9)
    if s.size == 0:
        return w
    As = A[:, s]
    k = s.size
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = 2.0 * (As.T @ As + eta * np.eye(k))
    kkt[:k, k] = 1.0
    kkt[k, :k] = 1.0
    rhs = np.concatenate([2.0 * As.T @ b, [1.0]])
    try:
        sol = np.linalg.solve(kkt, rhs)[:k]
    except np.linalg.LinAlgError:
        return w
    if np.all(sol >= -1e-12):
        cand = np.zeros_like(w)
        cand[s] = np.maximum(sol, 0.0)
        cand /= cand.sum()
        if _obj(A, b, eta, cand) <= _obj(A, b, eta, w):
            return cand
    return w


def _obj(A: Arr, b: Arr, eta: float, w: Arr) -> float:
    r = A @ w - b
    return float(r @ r + eta * (w @ w))


def _kkt_ok(A: Arr, b: Arr, eta: float, w: Arr) -> bool:
    """Optimality on the simplex: the gradient is smallest (and equal) on the support."""
    g = 2.0 * (A.T @ (A @ w - b) + eta * w)
    s = w > 1e-12
    if not s.any():
        return False
    mu = float(g[s].mean())
    tol = 1e-7 * (float(np.abs(g).max()) + 1.0)
    return bool(np.all(np.abs(g[s] - mu) <= tol) and np.all(g[~s] >= mu - tol))


def _active_set(A: Arr, b: Arr, eta: float) -> Arr | None:
    """Lawson–Hanson NNLS with the sum-to-one row weighted heavily, then polished on its support."""
    n = A.shape[1]
    big = 1e3 * (float(np.linalg.norm(A)) + float(np.linalg.norm(b)) + 1.0)
    rows = [A]
    rhs = [b]
    if eta > 0:
        rows.append(np.sqrt(eta) * np.eye(n))
        rhs.append(np.zeros(n))
    rows.append(np.full((1, n), big))
    rhs.append(np.array([big]))
    try:
        w, _ = nnls(np.vstack(rows), np.concatenate(rhs), maxiter=50 * n)
    except RuntimeError:
        return None
    if w.sum() <= 0:
        return None
    w = _polish(A, b, eta, w / w.sum())
    return w if _kkt_ok(A, b, eta, w) else None


def simplex_ls(A: Arr, b: Arr, eta: float = 0.0, *, w0: Arr | None = None, max_iter: int = 20000,
               tol: float = 1e-12) -> Arr:
    """``argmin ||A w - b||² + eta ||w||²`` over the simplex (``A``: rows = periods, columns = donors).

    An exact active-set solve first (NNLS with the constraint row, polished and checked against the
    KKT conditions); when that check fails, accelerated projected gradient from ``w0``.
    """
    n = A.shape[1]
    if n == 1:
        return np.ones(1)
    exact = _active_set(A, b, eta)
    if exact is not None:
        return exact
    G = A.T @ A
    c = A.T @ b
    L = 2.0 * (float(np.linalg.eigvalsh(G)[-1]) + eta)
    if L <= 0:
        return np.full(n, 1.0 / n)
    step = 1.0 / L
    w = project_simplex(w0.copy()) if w0 is not None else np.full(n, 1.0 / n)
    y = w.copy()
    t = 1.0
    scale = max(float(b @ b), 1e-300)
    for _ in range(max_iter):
        grad = 2.0 * (G @ y - c + eta * y)
        w_new = project_simplex(y - step * grad)
        if float(np.dot(grad, w_new - w)) > 0:  # adaptive restart (O'Donoghue & Candès)
            t = 1.0
            y = w.copy()
            grad = 2.0 * (G @ y - c + eta * y)
            w_new = project_simplex(y - step * grad)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        y = w_new + ((t - 1.0) / t_new) * (w_new - w)
        diff = float(np.max(np.abs(w_new - w)))
        w, t = w_new, t_new
        if diff < tol and _gap(G, c, eta, w) <= 1e-12 * scale + 1e-14:
            break
    return _polish(A, b, eta, w)


def _gap(G: Arr, c: Arr, eta: float, w: Arr) -> float:
    """Frank–Wolfe duality gap: an upper bound of the objective's distance to the optimum."""
    grad = 2.0 * (G @ w - c + eta * w)
    return float(grad @ w - grad.min())
