"""Reference norms of the cephalometric measurements, and the comparison.

Each measurement of :mod:`.cephalometric_measurements` has a published
reference mean and standard deviation (:data:`NORMS`), with its source.
These are the widely reproduced textbook values of each analysis; they
describe the samples the authors measured (mostly North American, white,
adolescent or young adult) and are a reference range, not a diagnosis.
A value is compared with its norm by :func:`classify_deviation` and
worded by :func:`deviation_flag`: "outside the reference range", never a
clinical label.

Sources:

* **Steiner 1953**: C. C. Steiner, "Cephalometrics for you and me",
  Am J Orthod 39:729-755. Steiner published means only; the SDs are
  those of the textbook tables that reproduce his analysis (SNA 82 +- 2,
  SNB 80 +- 2, ANB 2 +- 2; the incisor angles and SN to mandibular plane
  with the +- 5 degree tolerance usually quoted).
* **Downs 1948**: W. B. Downs, "Variations in facial relationships: their
  significance in treatment and prognosis", Am J Orthod 34:812-840
  (20 untreated subjects with excellent occlusion, 12-17 years): means and
  SDs of his table.
* **Tweed 1954**: C. H. Tweed, "The Frankfort-mandibular incisor angle
  (FMIA) in orthodontic diagnosis, treatment planning and prognosis",
  Angle Orthod 24:121-169: IMPA 90 and FMIA 65; Tweed gave ranges, the SD
  here is the +- 5 degree tolerance commonly quoted with them.
* **McNamara 1984**: J. A. McNamara, "A method of cephalometric
  evaluation", Am J Orthod 86:449-469, adult female norms (his adult male
  norms are larger for the lengths: Co-A 99.8 +- 6.0, Co-Gn 134.3 +- 6.8,
  ANS-Me 74.6 +- 5.0, N-perp to A 1.1 +- 2.7, N-perp to Pog -0.3 +- 3.8).
* **Jarabak 1972**: J. R. Jarabak and J. A. Fizzell, "Technique and
  treatment with light-wire edgewise appliances", 2nd ed., Mosby: gonial
  angle 130 +- 7 degrees; facial height ratio S-Go/N-Me normal range
  62-65 %, given here as 63.5 +- 1.5 (the range as mean +- 1 SD).
* **Ricketts 1968**: R. M. Ricketts, "Esthetics, environment, and the law
  of lip relation", Am J Orthod 54:272-289: lips behind the E-line, upper
  lip -4 +- 2 mm, lower lip -2 +- 2 mm (adult values).

The Ar-based substitutes of McNamara's Co-A and Co-Gn (for landmark sets
without condylion) have no published norm: their ``mean`` and ``sd`` are
``nan`` and they are never compared.
"""
import math
from typing import Dict, NamedTuple, Optional

__all__ = [
    'Norm', 'NORMS', 'WITHIN', 'OUTSIDE_1SD', 'OUTSIDE_2SD',
    'classify_deviation', 'deviation_flag'
]


class Norm(NamedTuple):
    """A published reference value of a measurement.

    Attributes:
        mean (float): Reference mean (``nan`` when none is published).
        sd (float): Reference standard deviation (``nan`` when none).
        source (str): Where the values come from.
    """
    mean: float
    sd: float
    source: str


_STEINER = 'Steiner 1953 (Am J Orthod 39:729), SD of textbook tables'
_DOWNS = 'Downs 1948 (Am J Orthod 34:812), mean +- SD'
_TWEED = 'Tweed 1954 (Angle Orthod 24:121), +- 5 deg tolerance as SD'
_MCNAMARA = 'McNamara 1984 (Am J Orthod 86:449), adult female'
_JARABAK = 'Jarabak & Fizzell 1972 (Light-wire edgewise appliances)'
_RICKETTS = 'Ricketts 1968 (Am J Orthod 54:272), adult'
_NONE = ('no published norm: Ar-based substitute for a condylion '
         'measurement, not comparable with its norm')

#: Reference norm of each measurement key (units as the measurement's).
NORMS: Dict[str, Norm] = {
    # Steiner
    'SNA': Norm(82.0, 2.0, _STEINER),
    'SNB': Norm(80.0, 2.0, _STEINER),
    'ANB': Norm(2.0, 2.0, _STEINER),
    'SN-GoMe': Norm(32.0, 5.0, _STEINER + ' (drawn to Go-Gn)'),
    'U1-NA': Norm(22.0, 5.0, _STEINER),
    'L1-NB': Norm(25.0, 5.0, _STEINER),
    # Downs
    'FH-NPog': Norm(87.8, 3.6, _DOWNS),
    'N-A-Pog': Norm(0.0, 5.1, _DOWNS),
    'FH-SGn': Norm(59.4, 3.8, _DOWNS),
    'FMA': Norm(21.9, 3.2, _DOWNS + ' (mandibular plane angle)'),
    'U1-L1': Norm(135.4, 5.8, _DOWNS),
    # Tweed
    'IMPA': Norm(90.0, 5.0, _TWEED),
    'FMIA': Norm(65.0, 5.0, _TWEED),
    # McNamara
    'N-perp-A': Norm(0.4, 2.3, _MCNAMARA),
    'N-perp-Pog': Norm(-1.8, 4.5, _MCNAMARA),
    'Co-A': Norm(91.0, 4.3, _MCNAMARA),
    'Co-Gn': Norm(120.2, 5.3, _MCNAMARA),
    'Ar-A': Norm(math.nan, math.nan, _NONE),
    'Ar-Gn': Norm(math.nan, math.nan, _NONE),
    'ANS-Me': Norm(66.7, 4.1, _MCNAMARA),
    # Jarabak
    'Ar-Go-Me': Norm(130.0, 7.0, _JARABAK),
    'Jarabak-ratio': Norm(63.5, 1.5, _JARABAK + ', range 62-65 % as +- 1 SD'),
    # Ricketts
    'UL-E': Norm(-4.0, 2.0, _RICKETTS),
    'LL-E': Norm(-2.0, 2.0, _RICKETTS),
}

#: Values of :func:`classify_deviation`.
WITHIN = 'within'
OUTSIDE_1SD = 'outside 1 SD'
OUTSIDE_2SD = 'outside 2 SD'

_FLAGS = {
    WITHIN: '',
    OUTSIDE_1SD: 'outside the reference range (mean +- 1 SD)',
    OUTSIDE_2SD: 'outside the reference range (mean +- 2 SD)',
}


def classify_deviation(value: Optional[float], mean: float,
                       sd: float) -> Optional[str]:
    """Where a value lies with respect to its reference range.

    Args:
        value (float, optional): The measured value; ``None`` or ``nan``
            when it could not be measured.
        mean (float): Reference mean.
        sd (float): Reference standard deviation.

    Returns:
        str, optional: :data:`WITHIN` (``'within'``) for
        ``|value - mean| <= sd``, :data:`OUTSIDE_1SD` (``'outside 1 SD'``)
        up to ``2 sd``, :data:`OUTSIDE_2SD` (``'outside 2 SD'``) beyond;
        ``None`` when there is no value or no norm (``nan`` mean or SD).

    Examples:
        >>> classify_deviation(85.0, 82.0, 2.0)
        'outside 1 SD'
    """
    if value is None or not all(map(math.isfinite, (value, mean, sd))):
        return None
    offset = abs(value - mean)
    if offset <= sd:
        return WITHIN
    return OUTSIDE_1SD if offset <= 2 * sd else OUTSIDE_2SD


def deviation_flag(deviation: Optional[str]) -> str:
    """Readable wording of :func:`classify_deviation`'s result.

    Args:
        deviation (str, optional): ``'within'``, ``'outside 1 SD'``,
            ``'outside 2 SD'`` or ``None``.

    Returns:
        str: ``''`` within the range or for ``None``, otherwise
        ``'outside the reference range (mean +- 1 SD)'`` or ``(... 2 SD)``.

    Raises:
        ValueError: If ``deviation`` is not one of these.
    """
    if deviation is None:
        return ''
    if deviation not in _FLAGS:
        raise ValueError(f'deviation must be one of {list(_FLAGS)} or None, '
                         f'but got {deviation!r}')
    return _FLAGS[deviation]
