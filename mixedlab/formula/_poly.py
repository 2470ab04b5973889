"""R's ``poly(x, degree)``: orthogonal polynomials (and ``raw = TRUE`` powers).

From R 4.2.2's ``stats::poly``. Fitting: centre x, QR-factor the powers 0..degree of the
centred values (Householder), keep ``Q R_jj`` column by column (which does not depend on
the QR's sign convention), and record R's ``coefs``: ``alpha`` (the three-term recurrence's
shifts) and ``norm2`` (squared column norms, with 1 in front). New data (R's
``makepredictcall``, used by ``predict``) are evaluated by the recurrence
``Z[, i+1] = (x - alpha[i]) Z[, i] - (norm2[i+1] / norm2[i]) Z[, i-1]`` with those
coefficients, then scaled by ``sqrt(norm2)``.
"""

from __future__ import annotations

import numpy as np

from mixedlab._errors import DataError, FormulaError
from mixedlab.formula._splines import r_power

__all__ = ["poly_basis"]


def poly_basis(x: np.ndarray, degree: int, raw: bool = False,
               coefs: dict | None = None) -> tuple[np.ndarray, dict | None]:
    """The ``poly(x, degree, raw)`` columns and R's ``coefs`` (None for raw powers).

    Raises
    ------
    DataError
        Missing values (R: "missing values are not allowed in 'poly'"), or a degree not
        below the number of distinct values.
    """
    if degree < 1:
        raise FormulaError("poly(): 'degree' must be at least 1")
    x = np.asarray(x, dtype=float)
    if raw:
        return np.column_stack([r_power(x, k) for k in range(1, degree + 1)]), None
    if coefs is None:
        if np.isnan(x).any():
            raise DataError("missing values are not allowed in 'poly' (R's error): poly() is "
                            "computed on the whole column before incomplete rows are dropped; "
                            "drop the rows with a missing value first (df.dropna(subset=[...]))")
        if degree >= np.unique(x).size:
            raise DataError("'degree' must be less than number of unique points (R's error for "
                            f"poly with degree {degree} on {np.unique(x).size} distinct values)")
        xbar = float(np.mean(x))
        xc = x - xbar
        X = np.column_stack([np.ones_like(xc)] + [r_power(xc, k) for k in range(1, degree + 1)])
        Q, R = np.linalg.qr(X)
        diag = np.diagonal(R)
        if np.any(np.abs(diag[1:]) <= 1e-7 * np.abs(diag).max()):
            raise DataError("'degree' must be less than number of unique points (R's error "
                            f"for poly with degree {degree})")
        Z = Q * diag[None, :]
        norm2 = (Z * Z).sum(axis=0)
        alpha = ((xc[:, None] * Z * Z).sum(axis=0) / norm2 + xbar)[:degree]
        norm2 = np.concatenate([[1.0], norm2])
    else:
        alpha = np.asarray(coefs["alpha"], dtype=float)
        norm2 = np.asarray(coefs["norm2"], dtype=float)
        Z = np.ones((x.size, degree + 1))
        Z[:, 1] = x - alpha[0]
        for i in range(1, degree):
            Z[:, i + 1] = (x - alpha[i]) * Z[:, i] - (norm2[i + 1] / norm2[i]) * Z[:, i - 1]
    Z = Z / np.sqrt(norm2[1:])[None, :]
    return np.ascontiguousarray(Z[:, 1:]), {"alpha": alpha, "norm2": norm2}
