"""The 38 landmarks of the CL-Detection 2023 challenge (MICCAI 2023).

Landmarks 1-19 are the ISBI 2015 landmarks in ISBI order; 20-38 follow the
challenge's published list.
"""
from ._builder import make_dataset_info
from .isbi2015 import LANDMARKS as ISBI_LANDMARKS
from .isbi2015 import SKELETON

LANDMARKS = ISBI_LANDMARKS + [
    ('point_d', 'D'),
    ('upper_incisor_apex', 'U1A'),
    ('lower_incisor_apex', 'L1A'),
    ('columella', 'Cm'),
    ('pterygomaxillary_fissure', 'Ptm'),
    ('condylion', 'Co'),
    ('pronasale', 'Prn'),
    ('basion', 'Ba'),
    ('pterygoid_point', 'PT'),
    ('bolton_point', 'Bo'),
    ('soft_tissue_a_point', "UL'"),
    ('soft_tissue_b_point', "LL'"),
    ('soft_tissue_gnathion', "Gn'"),
    ('soft_tissue_menton', "Me'"),
    ('glabella', 'G'),
    ('soft_tissue_nasion', "N'"),
    ('cervical_point', 'C'),
    ('upper_first_molar', 'U6'),
    ('lower_first_molar', 'L6'),
]

dataset_info = make_dataset_info(
    'cldetection2023',
    LANDMARKS,
    SKELETON,
    paper_info=dict(
        title='CL-Detection 2023: cephalometric landmark detection in '
        'lateral X-ray images (MICCAI 2023 challenge)',
        year='2023'))
