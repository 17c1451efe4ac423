"""The 19 landmarks of the ISBI 2015 cephalometric challenge, in ISBI order.

Wang et al., "A benchmark for comparison of dental radiography analysis
algorithms", Medical Image Analysis 31, 2016.
"""
from ._builder import make_dataset_info

#: (name, abbreviation) in ISBI order.
LANDMARKS = [
    ('sella', 'S'),
    ('nasion', 'N'),
    ('orbitale', 'Or'),
    ('porion', 'Po'),
    ('subspinale', 'A'),
    ('supramentale', 'B'),
    ('pogonion', 'Pog'),
    ('menton', 'Me'),
    ('gnathion', 'Gn'),
    ('gonion', 'Go'),
    ('lower_incisal_incision', 'L1'),
    ('upper_incisal_incision', 'U1'),
    ('upper_lip', 'UL'),
    ('lower_lip', 'LL'),
    ('subnasale', 'Sn'),
    ('soft_tissue_pogonion', "Pog'"),
    ('posterior_nasal_spine', 'PNS'),
    ('anterior_nasal_spine', 'ANS'),
    ('articulare', 'Ar'),
]

SKELETON = [('sella', 'nasion'), ('porion', 'orbitale'), ('gonion', 'menton'),
            ('posterior_nasal_spine', 'anterior_nasal_spine')]

dataset_info = make_dataset_info(
    'isbi2015',
    LANDMARKS,
    SKELETON,
    paper_info=dict(
        author='Wang, Ching-Wei and Huang, Cheng-Ta and others',
        title='A benchmark for comparison of dental radiography analysis '
        'algorithms',
        container='Medical Image Analysis',
        year='2016'))
