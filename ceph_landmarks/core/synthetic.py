"""Synthetic X-ray-like lateral cephalograms with the 19 ISBI landmarks.

The generator draws a skull-like template (cranium, sella turcica, orbit,
ear rod, maxilla, mandible, incisors and the soft-tissue profile) whose
structures pass through the 19 ISBI-2015 landmarks, so that every landmark
sits on visible local structure (a corner, a tip or a cup), and marks each
landmark with a small radio-opaque dot. Each image gets its own shape
jitter (landmarks moved independently, the structures following them), a
random similarity transform, blur, noise and a gamma change. Output is
deterministic for a given seed.

The template is written in the pixel frame of the ISBI 2015 images
(1935 x 2400 px at 0.1 mm/px) and drawn at ``scale`` times that size.

Examples:
    >>> from ceph_landmarks.core.synthetic import write_synthetic_split
    >>> write_synthetic_split('data/synthetic', 'train', 4, seed=0)
    'data/synthetic/annotations/train.json'
"""
import json
import os
import os.path as osp
from typing import Dict, Tuple

import cv2
import numpy as np

from .metainfo import landmark_names

__all__ = ['render_cephalogram', 'write_synthetic_split', 'TEMPLATE']

#: Mean landmark positions (x, y) in ISBI pixels, in ISBI order.
TEMPLATE = np.array(
    [
        [800, 1000],  # sella
        [1370, 950],  # nasion
        [1250, 1150],  # orbitale
        [600, 1130],  # porion
        [1390, 1450],  # subspinale (A)
        [1340, 1800],  # supramentale (B)
        [1345, 1930],  # pogonion
        [1270, 2010],  # menton
        [1320, 1985],  # gnathion
        [760, 1700],  # gonion
        [1395, 1570],  # lower incisal incision
        [1425, 1610],  # upper incisal incision
        [1560, 1530],  # upper lip
        [1545, 1700],  # lower lip
        [1530, 1390],  # subnasale
        [1480, 1960],  # soft-tissue pogonion
        [900, 1400],  # posterior nasal spine
        [1440, 1375],  # anterior nasal spine
        [700, 1350],  # articulare
    ],
    dtype=np.float64)

#: Auxiliary points of the soft-tissue profile and skull, in ISBI pixels.
_AUX = dict(
    forehead=[1420, 500],
    soft_nasion=[1470, 950],
    nose_tip=[1720, 1260],
    stomion=[1500, 1615],
    labiomental=[1465, 1810],
    soft_menton=[1400, 2090],
    neck=[1100, 2200],
    frontal_bone=[1320, 620],
    nasal_bone_tip=[1460, 1130],
    condyle=[660, 1250],
    basion=[650, 1450],
    maxilla_back=[1100, 1560],
    incisor_root_upper=[1360, 1420],
    incisor_root_lower=[1320, 1780],
)

_ISBI_SIZE = (1935, 2400)  # (width, height) of the template frame
_INTENSITY = dict(background=18, soft=62, bone=135, tooth=190, dot=235)


def _jittered_points(rng: np.random.Generator,
                     jitter: float) -> Dict[str, np.ndarray]:
    names = landmark_names('isbi2015')
    pts = {n: TEMPLATE[i].copy() for i, n in enumerate(names)}
    pts.update({n: np.array(p, dtype=np.float64) for n, p in _AUX.items()})
    for name in pts:
        pts[name] = pts[name] + rng.normal(0.0, jitter, size=2)
    return pts


def _similarity(rng: np.random.Generator, scale: float) -> np.ndarray:
    """Random rotation / scale / shift about the template centre, 2x3."""
    width, height = _ISBI_SIZE
    angle = rng.uniform(-8.0, 8.0)
    zoom = rng.uniform(0.9, 1.1)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, zoom)
    matrix[:, 2] += rng.uniform(-0.04, 0.04, size=2) * (width, height)
    return matrix * scale


def _draw(img: np.ndarray, pts: Dict[str, np.ndarray]) -> None:
    """Draw the template structures through ``pts`` (canvas pixels)."""
    shift = 4  # sub-pixel drawing: coordinates in 1/16 px

    def q(*names):
        return np.round(np.array([pts[n]
                                  for n in names]) * 16).astype(np.int32)

    def poly(names, value, thickness, closed=False):
        cv2.polylines(img, [q(*names)], closed, value, thickness, cv2.LINE_AA,
                      shift)

    def circle(center, radius, value, thickness):
        cv2.circle(img, tuple(np.round(np.asarray(center) * 16).astype(int)),
                   int(round(radius * 16)), value, thickness, cv2.LINE_AA,
                   shift)

    height, width = img.shape
    unit = width / _ISBI_SIZE[0]  # canvas pixels per template pixel
    bone, tooth = _INTENSITY['bone'], _INTENSITY['tooth']

    # soft tissue: everything posterior to the facial profile
    profile = ('forehead', 'soft_nasion', 'nose_tip', 'subnasale', 'upper_lip',
               'stomion', 'lower_lip', 'labiomental', 'soft_tissue_pogonion',
               'soft_menton', 'neck')
    outline = np.concatenate([
        np.array([[0, 0], [pts['forehead'][0], 0]]) * 16,
        q(*profile),
        np.array([[pts['neck'][0], height], [0, height]]) * 16
    ]).astype(np.int32)
    cv2.fillPoly(img, [outline], _INTENSITY['soft'], cv2.LINE_AA, shift)

    # cranium and cranial base
    centre = (pts['sella'] + pts['frontal_bone']) / 2
    axes = (int(700 * unit * 16), int(640 * unit * 16))
    cv2.ellipse(img, tuple(np.round(centre * 16).astype(int)), axes, 0, 150,
                375, bone, max(2, int(30 * unit)), cv2.LINE_AA, shift)
    poly(['basion', 'sella', 'nasion'], bone - 40, max(1, int(12 * unit)))
    poly(['frontal_bone', 'nasion', 'nasal_bone_tip'], bone,
         max(2, int(22 * unit)))
    # sella turcica: a cup opening upwards around S
    cup = tuple(np.round(pts['sella'] * 16).astype(int))
    cv2.ellipse(img, cup, (int(60 * unit * 16), int(55 * unit * 16)), 0, 0,
                180, bone, max(2, int(16 * unit)), cv2.LINE_AA, shift)
    # orbit with orbitale at its floor; ear rod with porion at its top
    circle(pts['orbitale'] - (0, 110 * unit), 110 * unit, bone - 20,
           max(1, int(14 * unit)))
    circle(pts['porion'] + (0, 45 * unit), 45 * unit, tooth,
           max(2, int(16 * unit)))
    # maxilla and mandible
    cv2.fillPoly(img, [
        q('posterior_nasal_spine', 'anterior_nasal_spine', 'subspinale',
          'upper_incisal_incision', 'maxilla_back')
    ], bone, cv2.LINE_AA, shift)
    cv2.fillPoly(img, [
        q('condyle', 'articulare', 'gonion', 'menton', 'gnathion', 'pogonion',
          'supramentale', 'lower_incisal_incision', 'incisor_root_lower')
    ], bone - 15, cv2.LINE_AA, shift)
    poly([
        'condyle', 'articulare', 'gonion', 'menton', 'gnathion', 'pogonion',
        'supramentale'
    ], bone + 25, max(2, int(18 * unit)))
    # incisors
    poly(['incisor_root_upper', 'upper_incisal_incision'], tooth,
         max(2, int(30 * unit)))
    poly(['incisor_root_lower', 'lower_incisal_incision'], tooth,
         max(2, int(28 * unit)))


def render_cephalogram(seed: int,
                       scale: float = 0.2) -> Tuple[np.ndarray, np.ndarray]:
    """Render one synthetic cephalogram.

    Args:
        seed (int | Sequence[int]): Seed of this image's random generator.
        scale (float): Canvas size relative to the 1935 x 2400 ISBI frame.
            Defaults to 0.2 (387 x 480 px).

    Returns:
        tuple: ``image`` (np.ndarray[H, W], uint8 greyscale) and
        ``landmarks`` (np.ndarray[19, 2], float pixel coordinates in the
        image, ISBI order).
    """
    rng = np.random.default_rng(seed)
    width = int(round(_ISBI_SIZE[0] * scale))
    height = int(round(_ISBI_SIZE[1] * scale))
    pts = _jittered_points(rng, jitter=25.0)
    matrix = _similarity(rng, scale)
    pts = {n: matrix[:, :2] @ p + matrix[:, 2] for n, p in pts.items()}

    img = np.full((height, width), _INTENSITY['background'], np.uint8)
    _draw(img, pts)
    names = landmark_names('isbi2015')
    landmarks = np.array([pts[n] for n in names])  # (19, 2)
    radius = max(1.5, 12 * scale)
    for x, y in landmarks:
        cv2.circle(img, (int(round(x * 16)), int(round(y * 16))),
                   int(round(radius * 16)), _INTENSITY['dot'], -1, cv2.LINE_AA,
                   4)

    img = cv2.GaussianBlur(img, (0, 0), sigmaX=rng.uniform(0.6, 1.2))
    noisy = img.astype(np.float32) + rng.normal(0, 7.0, img.shape)
    noisy = np.clip(noisy, 0, 255) / 255.0
    noisy = noisy**rng.uniform(0.8, 1.25)
    return (noisy * 255).round().astype(np.uint8), landmarks


def write_synthetic_split(out_dir: str,
                          split: str,
                          num_images: int,
                          seed: int = 0,
                          scale: float = 0.2,
                          spacing: float = 0.1) -> str:
    """Write ``num_images`` synthetic cephalograms and their COCO JSON.

    Images go to ``{out_dir}/images/{split}_{i:04d}.png`` and annotations to
    ``{out_dir}/annotations/{split}.json`` (written atomically), in the
    format read by :class:`CephalometricDataset`.

    Args:
        out_dir (str): Root folder of the synthetic dataset.
        split (str): Split name, e.g. ``'train'`` or ``'val'``.
        num_images (int): Number of images.
        seed (int): Dataset seed; image ``i`` of ``split`` uses the seed
            sequence ``(seed, crc(split), i)``, so splits never share images.
        scale (float): Canvas size relative to the ISBI frame.
        spacing (float): Pixel spacing written for every image, mm/px.

    Returns:
        str: Path of the annotation file.
    """
    if num_images < 1:
        raise ValueError(f'num_images must be positive, but got {num_images}')
    names = landmark_names('isbi2015')
    os.makedirs(osp.join(out_dir, 'images'), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    split_key = sum(ord(c) * 131**i for i, c in enumerate(split)) % 2**31
    images, annotations = [], []
    for i in range(num_images):
        img, landmarks = render_cephalogram((seed, split_key, i), scale)
        file_name = f'{split}_{i:04d}.png'
        cv2.imwrite(osp.join(out_dir, 'images', file_name), img)
        height, width = img.shape
        keypoints = np.concatenate([landmarks,
                                    np.full((len(names), 1), 2.0)],
                                   axis=1)
        images.append(
            dict(
                id=i + 1,
                file_name=file_name,
                width=width,
                height=height,
                spacing=spacing))
        annotations.append(
            dict(
                id=i + 1,
                image_id=i + 1,
                category_id=1,
                bbox=[0, 0, width, height],
                area=float(width * height),
                iscrowd=0,
                num_keypoints=len(names),
                keypoints=[round(float(v), 3) for v in keypoints.ravel()]))
    coco = dict(
        info=dict(description=f'synthetic cephalograms, seed {seed}'),
        images=images,
        annotations=annotations,
        categories=[dict(id=1, name='skull', keypoints=names, skeleton=[])])
    ann_file = osp.join(out_dir, 'annotations', f'{split}.json')
    with open(ann_file + '.tmp', 'w') as f:
        json.dump(coco, f)
    os.replace(ann_file + '.tmp', ann_file)
    return ann_file
