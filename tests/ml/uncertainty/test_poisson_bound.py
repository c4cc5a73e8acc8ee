"""The quantiles of a Poisson rate's Gamma posterior, checked against closed forms and tabled values."""

from __future__ import annotations

import math

import pytest

from annotator.ml.uncertainty.adaptation import miss_growth
from annotator.ml.uncertainty.poisson_bound import gamma_quantile, lower_regularized_gamma


def test_the_lower_regularized_gamma_function_matches_its_closed_forms() -> None:
    # shape 1: the exponential distribution, 1 - e^-x; shape 1/2: erf(sqrt(x))
    assert lower_regularized_gamma(1.0, 2.0) == pytest.approx(1 - math.exp(-2.0), rel=1e-10)
    assert lower_regularized_gamma(0.5, 1.7) == pytest.approx(math.erf(math.sqrt(1.7)), rel=1e-10)
    assert lower_regularized_gamma(3.0, 0.0) == 0.0
    assert lower_regularized_gamma(40.5, 400.0) == pytest.approx(1.0)


def test_gamma_quantiles_are_the_chi_square_table_halved() -> None:
    # Gamma(k/2, 1) is half a chi-square of k degrees of freedom: its 90 % points 2.7055 (1), 6.2514 (3)
    assert 2 * gamma_quantile(0.9, 0.5) == pytest.approx(2.7055, abs=1e-4)
    assert 2 * gamma_quantile(0.9, 1.5) == pytest.approx(6.2514, abs=1e-4)
    assert gamma_quantile(0.5, 1.0) == pytest.approx(math.log(2))  # the exponential's median
    assert gamma_quantile(0.9, 0.5, rate=20.0) == pytest.approx(gamma_quantile(0.9, 0.5) / 20)
    with pytest.raises(ValueError):
        gamma_quantile(1.0, 1.0)
    with pytest.raises(ValueError):
        lower_regularized_gamma(0.0, 1.0)


def test_the_misses_growth_bounded_with_credibility_lies_above_its_mean_and_closes_in_with_evidence() -> None:
    # nothing missed over 20 objects one frame after a whole review: mean 0.5 / 20, 90 % bound 1.353 / 20
    assert miss_growth([(1, 20, 0)]) == pytest.approx(0.025)
    assert miss_growth([(1, 20, 0)], 0.9) == pytest.approx(2.7055 / 2 / 20, rel=1e-4)
    # ten times the evidence at the same rate: the bound comes close to the mean
    few = miss_growth([(1, 20, 2)], 0.9) / miss_growth([(1, 20, 2)])
    many = miss_growth([(1, 200, 20)], 0.9) / miss_growth([(1, 200, 20)])
    assert few > many > 1.0
    assert miss_growth([], 0.9) is None
