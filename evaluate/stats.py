"""95% intervals for the change between two windows (DESIGN §5.3), vectorized over many goals.

Every interval here is for `current − baseline` in the metric's own direction; `compare` turns
it so that positive means better.

* Medians and means: a percentile bootstrap of the difference. Resampling positions depend only
  on the sample size and the window's role, never on the order of events, so the same data
  always give the same interval, and shuffling events changes nothing. Medians are resampled
  through their order statistics (the k-th smallest of n resampled indices is the index of the
  k-th smallest of n uniforms, a Beta(k, n − k + 1) draw), which is the ordinary bootstrap
  distribution at O(resamples) cost per window instead of O(resamples × n).
* Rates: Newcombe's hybrid score interval (his method 10), built from Wilson intervals.
* Counts per active week: the MOVER interval for a difference of Poisson rates from Jeffreys
  intervals (Li, Tang & Wong 2011); `scipy.stats.poisson_means_test` gives a p-value beside it.

Team context compares two such changes, the person's and the rest of the team's (DESIGN §5.6):
the interval of their difference comes from the same methods. Bootstrap draws of the two are
subtracted, which is why the team resamples on streams of its own (a person and a team of the
same size would otherwise draw the very same positions, and their errors would cancel); Newcombe
and Poisson intervals are combined by MOVER once more, the two changes being independent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special, stats

__all__ = [
    "CONFIDENCE",
    "PERSON_STREAMS",
    "RESAMPLES",
    "TEAM_STREAMS",
    "Differences",
    "bootstrap_difference_intervals",
    "bootstrap_differences",
    "gap_intervals",
    "jeffreys_rate_interval",
    "proportion_difference_intervals",
    "rate_difference_intervals",
    "rate_difference_p_value",
    "resampled_statistics",
    "wilson_interval",
]

CONFIDENCE = 0.95
RESAMPLES = 2000
_SEED = 20_260_901
_CHUNK_ELEMENTS = 1 << 21  # bound the memory of one block of resampled means
BASELINE_STREAM, CURRENT_STREAM = 0, 1
PERSON_STREAMS = (BASELINE_STREAM, CURRENT_STREAM)
TEAM_STREAMS = (2, 3)  # (baseline, current), independent of the person's

_TAIL = (1 - CONFIDENCE) / 2
_Z = float(special.ndtri(1 - _TAIL))


@lru_cache(maxsize=8192)
def _median_positions(n: int, stream: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions, in the sorted sample, of the two middle values of each resample (equal for
    odd n). Given the lower middle uniform v, the next order statistic is v plus (1 − v) times
    the minimum of the remaining n − k uniforms, a Beta(1, n − k) fraction."""
    rng = np.random.default_rng([_SEED, n, stream])
    rank = (n + 1) // 2
    lower = rng.beta(rank, n - rank + 1, size=RESAMPLES)
    upper = lower if n % 2 else lower + (1 - lower) * rng.beta(1, n - rank, size=RESAMPLES)
    return _rank_position(lower, n), _rank_position(upper, n)


def _rank_position(uniform: np.ndarray, n: int) -> np.ndarray:
    """The resampled index whose uniform is `uniform` (index = ceil(n u) − 1)."""
    position: np.ndarray = np.clip(np.ceil(n * uniform).astype(np.int64) - 1, 0, n - 1)
    return position


def _mean_weights(n: int, stream: int) -> Iterator[tuple[slice, np.ndarray]]:
    """Resample counts (how often each value is drawn), a block of resamples at a time."""
    rng = np.random.default_rng([_SEED, n, stream])
    rows = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, RESAMPLES, rows):
        block = min(rows, RESAMPLES - start)
        draws = rng.integers(0, n, size=(block, n)) + n * np.arange(block)[:, None]
        counts = np.bincount(draws.ravel(), minlength=block * n).reshape(block, n)
        yield slice(start, start + block), counts.astype(float)


def _resample_block(samples: np.ndarray, statistic: str, stream: int) -> np.ndarray:
    """Resampled statistics for an (m, n) block of sorted samples of equal size: (m, B)."""
    n = samples.shape[1]
    if statistic == "median":
        lower, upper = _median_positions(n, stream)
        medians: np.ndarray = (samples[:, lower] + samples[:, upper]) / 2
        return medians
    out = np.empty((samples.shape[0], RESAMPLES))
    for rows, counts in _mean_weights(n, stream):
        out[:, rows] = samples @ counts.T / n
    return out


def _sorted_blocks(samples: Sequence[np.ndarray]) -> Iterator[tuple[list[int], np.ndarray]]:
    """Samples of equal size stacked into sorted (m, n) blocks, with their positions."""
    by_size: dict[int, list[int]] = defaultdict(list)
    for row, sample in enumerate(samples):
        by_size[len(sample)].append(row)
    for rows in by_size.values():
        yield rows, np.sort(np.stack([samples[row] for row in rows]), axis=1)


def _block_statistic(block: np.ndarray, statistic: str) -> np.ndarray:
    n = block.shape[1]
    if statistic == "median":
        middle: np.ndarray = (block[:, (n - 1) // 2] + block[:, n // 2]) / 2
        return middle
    means: np.ndarray = block.mean(axis=1)
    return means


def resampled_statistics(samples: Sequence[np.ndarray], statistic: str, stream: int
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The median or mean of each sample, and its bootstrap distribution (len, RESAMPLES).
    Samples of equal size are resampled together; each must be non-empty."""
    estimates = np.empty(len(samples))
    resampled = np.empty((len(samples), RESAMPLES))
    for rows, block in _sorted_blocks(samples):
        estimates[rows] = _block_statistic(block, statistic)
        resampled[rows] = _resample_block(block, statistic, stream)
    return estimates, resampled


def _percentiles(draws: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """Row-wise percentiles (numpy's default linear rule) of a (k, B) array, as (k, levels).
    A full SIMD sort of each row beats `np.quantile`'s multi-pivot partition here."""
    ordered = np.sort(draws, axis=1)
    positions = np.asarray(levels) * (draws.shape[1] - 1)
    below = np.floor(positions).astype(int)
    above = np.minimum(below + 1, draws.shape[1] - 1)
    weight = positions - below
    interpolated: np.ndarray = ordered[:, below] * (1 - weight) + ordered[:, above] * weight
    return interpolated


@dataclass(frozen=True)
class Differences:
    """current − baseline for k pairs of windows: estimates (k,), 95% intervals (k, 2) and, for
    the bootstrap, the resampled differences (k, RESAMPLES), kept to compare two changes."""

    estimates: np.ndarray
    intervals: np.ndarray
    draws: np.ndarray | None = None


def _percentile_intervals(estimates: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Percentile intervals (k, 2), widened where needed to hold the point estimate: with tiny
    skewed samples a percentile interval can miss it, and an interval that excludes its own
    estimate reads as a contradiction in a report."""
    bounds = _percentiles(draws, (_TAIL, 1 - _TAIL))
    lower, upper = np.minimum(bounds[:, 0], estimates), np.maximum(bounds[:, 1], estimates)
    return np.column_stack([lower, upper])


def bootstrap_differences(statistic: str, baselines: Sequence[np.ndarray],
                          currents: Sequence[np.ndarray],
                          streams: tuple[int, int] = PERSON_STREAMS) -> Differences:
    """Percentile bootstrap of current − baseline for the median or mean; `streams` (baseline,
    current) choose the resampling positions."""
    if not baselines:
        return Differences(np.empty(0), np.empty((0, 2)), np.empty((0, RESAMPLES)))
    current, draws = resampled_statistics(currents, statistic, streams[1])
    baseline, resampled_baseline = resampled_statistics(baselines, statistic, streams[0])
    draws -= resampled_baseline
    estimates = current - baseline
    return Differences(estimates, _percentile_intervals(estimates, draws), draws)


def bootstrap_difference_intervals(
    statistic: str, baselines: Sequence[np.ndarray], currents: Sequence[np.ndarray]
) -> np.ndarray:
    """Percentile intervals (k, 2) of current − baseline for the median or mean."""
    return bootstrap_differences(statistic, baselines, currents).intervals


def gap_intervals(first: Differences, second: Differences, rows: tuple[np.ndarray, np.ndarray]
                  ) -> np.ndarray:
    """Intervals (m, 2) for `first − second`, two independent changes, over the paired rows
    `rows = (rows of first, rows of second)`: bootstrap draws are subtracted draw by draw;
    Newcombe and Poisson intervals are combined by MOVER."""
    a, b = rows
    estimates = first.estimates[a] - second.estimates[b]
    if first.draws is not None and second.draws is not None:
        return _percentile_intervals(estimates, first.draws[a] - second.draws[b])
    return _mover((first.estimates[a], second.estimates[b]),
                  (first.intervals[a, 0], first.intervals[a, 1]),
                  (second.intervals[b, 0], second.intervals[b, 1]))


def wilson_interval(successes: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval, vectorized (scipy's `binomtest(...).proportion_ci("wilson")` takes
    one proportion per call, far too slow for a thousand plans; the tests check they agree)."""
    k, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    p = k / n
    denominator = 1 + _Z**2 / n
    centre = (p + _Z**2 / (2 * n)) / denominator
    half = _Z * np.sqrt(p * (1 - p) / n + _Z**2 / (4 * n**2)) / denominator
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _mover(estimates: tuple[np.ndarray, np.ndarray],
           current: tuple[np.ndarray, np.ndarray],
           baseline: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Combine two independent intervals into one for the difference of their estimates,
    `estimates[0] − estimates[1]` (Newcombe / MOVER)."""
    (p1, p0), (l1, u1), (l0, u0) = estimates, current, baseline
    difference = p1 - p0
    lower = difference - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    upper = difference + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return np.column_stack([lower, upper])


def proportion_difference_intervals(
    successes: np.ndarray, trials: np.ndarray, baseline_successes: np.ndarray,
    baseline_trials: np.ndarray,
) -> np.ndarray:
    """Newcombe's hybrid score interval (k, 2) for p_current − p_baseline."""
    p1 = np.asarray(successes, dtype=float) / np.asarray(trials, dtype=float)
    p0 = np.asarray(baseline_successes, dtype=float) / np.asarray(baseline_trials, dtype=float)
    current = wilson_interval(successes, trials)
    baseline = wilson_interval(baseline_successes, baseline_trials)
    return _mover((p1, p0), current, baseline)


def jeffreys_rate_interval(counts: np.ndarray, exposure: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys interval for a Poisson rate (events per unit of exposure); 0 events → lower 0."""
    k = np.asarray(counts, dtype=float)
    lower = np.where(k > 0, special.gammaincinv(k + 0.5, _TAIL), 0.0)
    upper = special.gammaincinv(k + 0.5, 1 - _TAIL)
    return lower / exposure, upper / exposure


def rate_difference_intervals(
    counts: np.ndarray, exposure: np.ndarray, baseline_counts: np.ndarray,
    baseline_exposure: np.ndarray,
) -> np.ndarray:
    """MOVER interval (k, 2) for rate_current − rate_baseline, rates per unit of exposure."""
    r1 = np.asarray(counts, dtype=float) / exposure
    r0 = np.asarray(baseline_counts, dtype=float) / baseline_exposure
    current = jeffreys_rate_interval(counts, exposure)
    baseline = jeffreys_rate_interval(baseline_counts, baseline_exposure)
    return _mover((r1, r0), current, baseline)


def rate_difference_p_value(count: int, exposure: float, baseline_count: int,
                            baseline_exposure: float) -> float:
    """Two-sided E-test p-value for equal Poisson rates (scipy's `poisson_means_test`)."""
    result = stats.poisson_means_test(count, exposure, baseline_count, baseline_exposure)
    return float(result.pvalue)
