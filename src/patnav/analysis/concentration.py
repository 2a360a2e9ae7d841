"""Market concentration of a patent set among its holders: CR4, CR8, Herfindahl-Hirschman index, Gini.

Pure arithmetic over counts (families per applicant, per country…), done exactly with :class:`fractions.Fraction`
and turned into floats at the end, so the same counts give bit-identical indices whatever engine counted them.
Counts may be fractions themselves (a family shared by three applicants counts 1/3 for each).

Definitions (x_i the count of holder i, n holders with x_i > 0, s_i = x_i / Σx):

* CR_k = the sum of the k largest shares (all of them when n < k).
* HHI = Σ s_i², in [1/n, 1]: 1/n when all hold the same, 1 for a monopoly. Competition authorities write it on a
  0–10,000 scale (shares in per cent); :attr:`Concentration.hhi_points` gives that.
* Gini = Σ_i Σ_j |x_i − x_j| / (2 n Σx), in [0, (n − 1)/n]: 0 when all hold the same. Over holders present
  only (an applicant with nothing is not in the data).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

Count = int | Fraction


def _positive(counts: Iterable[Count]) -> list[Fraction]:
    values = [Fraction(c) for c in counts]
    if any(v < 0 for v in values):
        raise ValueError("counts cannot be negative")
    return [v for v in values if v > 0]


def concentration_ratio(counts: Iterable[Count], k: int) -> Fraction:
    """CR_k: the share of the ``k`` largest holders (0 when nothing is held)."""
    if k < 1:
        raise ValueError("k must be 1 or more")
    values = sorted(_positive(counts), reverse=True)
    total = sum(values, Fraction(0))
    return sum(values[:k], Fraction(0)) / total if total else Fraction(0)


def herfindahl(counts: Iterable[Count]) -> Fraction:
    """HHI on the 0–1 scale: the sum of squared shares (0 when nothing is held)."""
    values = _positive(counts)
    total = sum(values, Fraction(0))
    return sum(((v / total) ** 2 for v in values), Fraction(0)) if total else Fraction(0)


def gini(counts: Iterable[Count]) -> Fraction:
    """Gini coefficient of the holders' counts (0 for one holder, equal holders, or nothing held).

    Computed from the sorted counts as ``2 Σ i·x_(i) / (n Σx) − (n + 1) / n`` (i = 1…n, ascending), which
    equals the mean-absolute-difference form in the module docstring.
    """
    values = sorted(_positive(counts))
    n = len(values)
    total = sum(values, Fraction(0))
    if n == 0 or total == 0:
        return Fraction(0)
    ranked = sum((i * v for i, v in enumerate(values, start=1)), Fraction(0))
    return 2 * ranked / (n * total) - Fraction(n + 1, n)


@dataclass(frozen=True, slots=True)
class Concentration:
    """Concentration of one market (all families of a set, or those of one period).

    ``holders`` is how many hold anything; ``total`` what they hold together (families, fractionally
    counted); ``cr4``, ``cr8``, ``hhi`` (0–1) and ``gini`` as defined in the module docstring.
    """

    holders: int
    total: float
    cr4: float
    cr8: float
    hhi: float
    gini: float

    @property
    def hhi_points(self) -> float:
        """HHI on the 0–10,000 scale competition authorities use (shares in per cent, squared, summed)."""
        return self.hhi * 10_000

    @property
    def equivalent_holders(self) -> float:
        """1 / HHI: how many equal holders would give the same HHI (0 when nothing is held)."""
        return 1 / self.hhi if self.hhi else 0.0


def concentration(counts: Iterable[Count]) -> Concentration:
    """CR4, CR8, HHI and Gini of the holders' ``counts`` (zeros are ignored; negatives raise)."""
    values = _positive(counts)
    return Concentration(
        holders=len(values),
        total=float(sum(values, Fraction(0))),
        cr4=float(concentration_ratio(values, 4)),
        cr8=float(concentration_ratio(values, 8)),
        hhi=float(herfindahl(values)),
        gini=float(gini(values)),
    )
