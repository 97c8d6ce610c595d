"""Share a function's points among its cases so that the shares add up exactly.

Rounding each case's share on its own shows totals like 10.0002 / 10 or 24.9998 / 25.
Here every share is a whole number of hundredths and the shares of one function add up to
its points exactly (the largest-remainder method), so the per-function totals, the score
and max_score in the result, the exports and the Gradescope file all agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CENTS = 100  # shares are exact to 2 decimals


def split_points(points: float, weights: Sequence[float]) -> list[float]:
    """Return ``points`` split in proportion to ``weights``, each share in hundredths.

    The shares sum to ``points`` rounded to hundredths: each share first gets the floor of
    its exact value, and the hundredths left over go one each to the largest remainders
    (ties to the earlier case). All-zero weights share nothing.
    """
    total_weight = float(sum(weights))
    if total_weight <= 0:
        return [0.0 for _ in weights]
    cents = round(points * CENTS)
    exact = [cents * w / total_weight for w in weights]
    shares = [math.floor(e + 1e-9) for e in exact]  # 1e-9: 33.99999... is 34 cents
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: cents - sum(shares)]:
        shares[i] += 1
    return [share / CENTS for share in shares]
