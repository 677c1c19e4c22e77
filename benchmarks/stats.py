"""Small statistics helpers (no numpy)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0–100); NaN for no samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float:
    if not samples:
        return math.nan
    ordered = sorted(samples)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def summary(samples_ms: Sequence[float]) -> dict[str, float | int]:
    """n, median, p95, p99, min and max of millisecond samples (rounded to 0.1 ms)."""
    return {
        "n": len(samples_ms),
        "median_ms": round(median(samples_ms), 1),
        "p95_ms": round(percentile(samples_ms, 95), 1),
        "p99_ms": round(percentile(samples_ms, 99), 1),
        "min_ms": round(min(samples_ms), 1) if samples_ms else math.nan,
        "max_ms": round(max(samples_ms), 1) if samples_ms else math.nan,
    }
