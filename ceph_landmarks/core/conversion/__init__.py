"""Conversion of public cephalometric datasets to the package's COCO JSON.

The ``data_converters/`` scripts are thin command-line front ends to this
package: each format module (:mod:`.isbi2015`, :mod:`.cldetection2023`,
:mod:`.aariz`, :mod:`.labelme`) turns its source into :class:`Sample`
records, and :func:`convert_samples` does the rest the same way for all:
invalid annotations stop the conversion or are skipped and reported,
images are read by content and re-encoded as PNG, annotators are averaged,
and the output folder appears only once complete. :mod:`.downscale`
writes a shrunk copy of a LabelMe dataset, still in LabelMe format.
"""
from ..io.image_io import (ImageReadError, LoadedImage, decode_image,
                           encode_png, read_image)
from .aariz import aariz_samples, read_aariz_points
from .cldetection2023 import (MhaStack, cldetection2023_samples,
                              read_cldetection_labels, remove_zero_padding)
from .combine import combine_annotators
from .defects import DEFECT_KINDS, ConversionError, Defect, DefectReport
from .downscale import (DownscaleResult, downscale_image, downscale_labelme,
                        downscale_labelme_folders, effective_spacing)
from .folds import (kfold_parts, merge_annotations, subset_annotations,
                    write_kfold_annotations)
from .isbi2015 import isbi2015_samples, read_isbi_points
from .labelme import (default_label_map, labelme_samples, load_label_map,
                      read_labelme)
from .landmark_points import (AnnotatorPoints, collect_landmarks,
                              points_outside_image)
from .output import CocoDatasetWriter, StagedOutputDir
from .pipeline import ConversionResult, Sample, convert_samples
from .splits import seeded_split, split_fractions

__all__ = [
    'kfold_parts', 'merge_annotations', 'subset_annotations',
    'write_kfold_annotations', 'aariz_samples', 'read_aariz_points',
    'MhaStack', 'cldetection2023_samples', 'read_cldetection_labels',
    'remove_zero_padding', 'combine_annotators', 'DEFECT_KINDS',
    'ConversionError', 'Defect', 'DefectReport', 'ImageReadError',
    'LoadedImage', 'decode_image', 'encode_png', 'read_image',
    'isbi2015_samples', 'read_isbi_points', 'default_label_map',
    'labelme_samples', 'load_label_map', 'read_labelme', 'AnnotatorPoints',
    'collect_landmarks', 'points_outside_image', 'CocoDatasetWriter',
    'StagedOutputDir', 'ConversionResult', 'Sample', 'convert_samples',
    'seeded_split', 'split_fractions', 'DownscaleResult', 'downscale_image',
    'downscale_labelme', 'downscale_labelme_folders', 'effective_spacing'
]
