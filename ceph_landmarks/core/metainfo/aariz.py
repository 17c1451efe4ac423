"""The 29 landmarks of the 'Aariz dataset, in the dataset's own order.

15 skeletal, 8 dental and 6 soft-tissue landmarks. Abbreviations are the
dataset's ``symbol`` fields (its soft-tissue primes are backticks: ``N```,
``Pog```); names are its ``title`` fields in snake_case. The order is that
of the dataset's landmark list (``config.py`` of the public repository
``manwaarkhd/aariz-cephalometric-dataset``).

Khalid et al., "A Benchmark Dataset for Automatic Cephalometric Landmark
Detection and CVM Stage Classification", Scientific Data 12, 2025
(arXiv:2302.07797).
"""
from ._builder import make_dataset_info

#: (name, symbol, title, group) in dataset order.
_TABLE = [
    ('a_point', 'A', 'A-point', 'skeletal'),
    ('anterior_nasal_spine', 'ANS', 'Anterior Nasal Spine', 'skeletal'),
    ('b_point', 'B', 'B-point', 'skeletal'),
    ('menton', 'Me', 'Menton', 'skeletal'),
    ('nasion', 'N', 'Nasion', 'skeletal'),
    ('orbitale', 'Or', 'Orbitale', 'skeletal'),
    ('pogonion', 'Pog', 'Pogonion', 'skeletal'),
    ('posterior_nasal_spine', 'PNS', 'Posterior Nasal Spine', 'skeletal'),
    ('pronasale', 'Pn', 'Pronasale', 'soft_tissue'),
    ('ramus', 'R', 'Ramus', 'skeletal'),
    ('sella', 'S', 'Sella', 'skeletal'),
    ('articulare', 'Ar', 'Articulare', 'skeletal'),
    ('condylion', 'Co', 'Condylion', 'skeletal'),
    ('gnathion', 'Gn', 'Gnathion', 'skeletal'),
    ('gonion', 'Go', 'Gonion', 'skeletal'),
    ('porion', 'Po', 'Porion', 'skeletal'),
    ('lower_2nd_pm_cusp_tip', 'LPM', 'Lower 2nd PM Cusp Tip', 'dental'),
    ('lower_incisor_tip', 'LIT', 'Lower Incisor Tip', 'dental'),
    ('lower_molar_cusp_tip', 'LMT', 'Lower Molar Cusp Tip', 'dental'),
    ('upper_2nd_pm_cusp_tip', 'UPM', 'Upper 2nd PM Cusp Tip', 'dental'),
    ('upper_incisor_apex', 'UIA', 'Upper Incisor Apex', 'dental'),
    ('upper_incisor_tip', 'UIT', 'Upper Incisor Tip', 'dental'),
    ('upper_molar_cusp_tip', 'UMT', 'Upper Molar Cusp Tip', 'dental'),
    ('lower_incisor_apex', 'LIA', 'Lower Incisor Apex', 'dental'),
    ('labrale_inferius', 'Li', 'Labrale inferius', 'soft_tissue'),
    ('labrale_superius', 'Ls', 'Labrale superius', 'soft_tissue'),
    ('soft_tissue_nasion', 'N`', 'Soft Tissue Nasion', 'soft_tissue'),
    ('soft_tissue_pogonion', 'Pog`', 'Soft Tissue Pogonion', 'soft_tissue'),
    ('subnasale', 'Sn', 'Subnasale', 'soft_tissue'),
]

#: (name, abbreviation) in channel order.
LANDMARKS = [(name, symbol) for name, symbol, _, _ in _TABLE]

#: Dataset title of each landmark name.
TITLES = {name: title for name, _, title, _ in _TABLE}

#: Group of each landmark name: skeletal (15), dental (8), soft_tissue (6).
GROUPS = {name: group for name, _, _, group in _TABLE}

SKELETON = [('sella', 'nasion'), ('porion', 'orbitale'), ('gonion', 'menton'),
            ('posterior_nasal_spine', 'anterior_nasal_spine')]

dataset_info = make_dataset_info(
    'aariz',
    LANDMARKS,
    SKELETON,
    paper_info=dict(
        author='Khalid, Muhammad Anwaar and Zulfiqar, Kanwal and others',
        title='A Benchmark Dataset for Automatic Cephalometric Landmark '
        'Detection and CVM Stage Classification',
        container='Scientific Data',
        year='2025'))
