"""Concentration indices: worked examples and the bounds every count vector must respect (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patnav.analysis.concentration import Concentration, concentration, concentration_ratio, gini, herfindahl


def test_worked_examples() -> None:
    """Counts 1, 1, 1, 1.5, 3.5 (the players test's fractional families): total 8.

    CR4 = 7/8; HHI = (12.25 + 2.25 + 3) / 64 = 35/128; Gini = 2 × 29.5 / 40 − 6/5 = 11/40.
    """
    counts = [1, 1, 1, Fraction(3, 2), Fraction(7, 2)]
    assert concentration_ratio(counts, 4) == Fraction(7, 8)
    assert herfindahl(counts) == Fraction(35, 128)
    assert gini(counts) == Fraction(11, 40)
    assert concentration(counts) == Concentration(5, 8.0, 0.875, 1.0, 0.2734375, 0.275)
    # a monopoly, two equal holders, nothing at all
    assert (herfindahl([5]), gini([5]), concentration_ratio([5], 4)) == (1, 0, 1)
    assert (herfindahl([2, 2]), gini([2, 2, 0])) == (Fraction(1, 2), 0)
    assert concentration([]) == Concentration(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert concentration([0, 0]).holders == 0
    assert concentration([3, 1]).hhi_points == pytest.approx(6250.0)
    assert concentration([1, 1, 1, 1]).equivalent_holders == 4.0


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        herfindahl([1, -1])
    with pytest.raises(ValueError):
        concentration_ratio([1], 0)


counts = st.lists(
    st.one_of(st.integers(0, 1000), st.fractions(min_value=0, max_value=100, max_denominator=12)), max_size=40
)


@given(counts)
def test_bounds(values: list[int | Fraction]) -> None:
    """HHI in [1/n, 1], Gini in [0, (n − 1)/n] and equal to its definition, CR4 ≤ CR8 ≤ 1, and 1/n ≤ CR1 (the
    largest holds at least a fair share); all exact."""
    n = sum(1 for v in values if v > 0)
    h, g = herfindahl(values), gini(values)
    cr1, cr4, cr8 = (concentration_ratio(values, k) for k in (1, 4, 8))
    if n == 0:
        assert h == g == cr4 == cr8 == 0
        return
    assert Fraction(1, n) <= h <= 1
    assert 0 <= g <= Fraction(n - 1, n) < 1
    assert Fraction(1, n) <= cr1 <= cr4 <= cr8 <= 1
    assert cr1**2 <= h <= cr1  # the largest share bounds the HHI on both sides
    if n <= 4:
        assert cr4 == 1
    positive = [Fraction(v) for v in values if v > 0]  # Gini by its definition: mean absolute difference
    assert g == sum(abs(x - y) for x in positive for y in positive) / (2 * n * sum(positive))


@given(counts, st.integers(1, 50))
def test_scale_invariance(values: list[int | Fraction], factor: int) -> None:
    """Shares, hence every index, do not change when every count is multiplied by the same factor."""
    scaled = [v * factor for v in values]
    assert herfindahl(scaled) == herfindahl(values)
    assert gini(scaled) == gini(values)
    assert concentration_ratio(scaled, 4) == concentration_ratio(values, 4)
