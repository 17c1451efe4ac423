"""The 19 landmarks of the ISBI 2015 cephalometric challenge, in ISBI order.

Plain MMPose metainfo (``keypoint_info``, ``skeleton_info``,
``joint_weights``, ``sigmas``). Lateral cephalograms have no left/right
pairs, so no landmark has a ``swap`` partner and a horizontal flip is never
a valid augmentation. ``sigmas`` are only needed by MMPose's OKS code; they
are set to a uniform 0.025 and are not used by the cephalometric metric.
"""

_NAMES = [
    # (name, abbreviation, colour in BGR)
    ('sella', 'S', [255, 0, 0]),
    ('nasion', 'N', [255, 85, 0]),
    ('orbitale', 'Or', [255, 170, 0]),
    ('porion', 'Po', [255, 255, 0]),
    ('subspinale', 'A', [170, 255, 0]),
    ('supramentale', 'B', [85, 255, 0]),
    ('pogonion', 'Pog', [0, 255, 0]),
    ('menton', 'Me', [0, 255, 85]),
    ('gnathion', 'Gn', [0, 255, 170]),
    ('gonion', 'Go', [0, 255, 255]),
    ('lower_incisal_incision', 'L1', [0, 170, 255]),
    ('upper_incisal_incision', 'U1', [0, 85, 255]),
    ('upper_lip', 'UL', [0, 0, 255]),
    ('lower_lip', 'LL', [85, 0, 255]),
    ('subnasale', 'Sn', [170, 0, 255]),
    ('soft_tissue_pogonion', "Pog'", [255, 0, 255]),
    ('posterior_nasal_spine', 'PNS', [255, 0, 170]),
    ('anterior_nasal_spine', 'ANS', [255, 0, 85]),
    ('articulare', 'Ar', [128, 128, 128]),
]

dataset_info = dict(
    dataset_name='isbi2015',
    paper_info=dict(
        author='Wang, Ching-Wei and Huang, Cheng-Ta and others',
        title='A benchmark for comparison of dental radiography analysis '
        'algorithms',
        container='Medical Image Analysis',
        year='2016',
        homepage='https://figshare.com/s/37ec464af8e81ae6ebbf',
    ),
    keypoint_info={
        i: dict(name=name, id=i, color=color, type='', swap='', abbr=abbr)
        for i, (name, abbr, color) in enumerate(_NAMES)
    },
    skeleton_info={
        0: dict(link=('sella', 'nasion'), id=0, color=[200, 200, 200]),
        1: dict(link=('porion', 'orbitale'), id=1, color=[200, 200, 200]),
        2: dict(link=('gonion', 'menton'), id=2, color=[200, 200, 200]),
        3: dict(
            link=('posterior_nasal_spine', 'anterior_nasal_spine'),
            id=3,
            color=[200, 200, 200]),
    },
    joint_weights=[1.0] * len(_NAMES),
    sigmas=[0.025] * len(_NAMES),
)
