"""Bounds on a Poisson rate learned from few observations: the quantiles of its Gamma posterior.

Escalation learns how fast a model's misses add up from the few frames a person looked over whole
(`annotator.ml.uncertainty.adaptation.miss_growth`): ``k`` objects found missing over an exposure of ``t``
object-frames. Under the Jeffreys prior the rate's posterior is Gamma(k + 1/2, t); its mean (k + 1/2) / t is
what a rule expecting the misses uses, its upper quantiles what a rule bounding them with some credibility
uses. No SciPy here: the regularized lower incomplete gamma function is summed as its power series (it
converges for every x > 0; a few hundred terms for the shapes and arguments escalation meets) and inverted
by bisection.
"""

from __future__ import annotations

import logging
import math

logger = logging.getLogger(__name__)

#: Relative size of the last series term at which the sum stops, and the most terms summed.
_TOLERANCE = 1e-12
_MAX_TERMS = 100_000


def lower_regularized_gamma(shape: float, x: float) -> float:
    """P(shape, x): the probability that a Gamma(shape, 1) variable is at most ``x`` (shape > 0)."""
    if shape <= 0:
        raise ValueError(f"the shape must be positive, got {shape}")
    if x <= 0:
        return 0.0
    term = total = 1.0 / shape
    for n in range(1, _MAX_TERMS):
        term *= x / (shape + n)
        total += term
        if term < total * _TOLERANCE:
            break
    return min(1.0, math.exp(shape * math.log(x) - x - math.lgamma(shape)) * total)


def gamma_quantile(probability: float, shape: float, rate: float = 1.0) -> float:
    """The ``probability`` quantile of Gamma(``shape``, ``rate``) (0 < probability < 1, shape and rate > 0)."""
    if not 0.0 < probability < 1.0:
        raise ValueError(f"the probability must lie strictly between 0 and 1, got {probability}")
    if rate <= 0:
        raise ValueError(f"the rate must be positive, got {rate}")
    low, high = 0.0, max(1.0, shape)
    while lower_regularized_gamma(shape, high) < probability:
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if lower_regularized_gamma(shape, middle) < probability:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * high:
            break
    return (low + high) / 2.0 / rate
