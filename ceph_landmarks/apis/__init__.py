"""Prediction on new cephalograms: the predictor, its inputs and outputs.

Not imported by ``import ceph_landmarks`` (training and testing do not need
it): ``from ceph_landmarks.apis import LandmarkPredictor``.
"""
from ..core.ground_truth import (GroundTruth, compare_with_ground_truth,
                                 load_ground_truth)
from ..core.io.inputs import (IMAGE_EXTENSIONS, collect_images, load_image,
                              lookup_spacing, normalize_spacing,
                              read_spacing_csv)
from ..core.io.spacing_source import resolve_spacing
from ..core.prediction import ImagePrediction, Landmark
from ..core.writers.labelme_export import (DEFAULT_REVIEW_BELOW,
                                           labelme_can_open, labelme_labels,
                                           labelme_record, write_labelme_file)
from ..core.writers.output_folder import check_output_folder, output_stems
from ..core.writers.prediction_folder import (LANDMARK_COLUMNS,
                                              MEASUREMENT_COLUMNS,
                                              InferenceOutcome,
                                              predict_to_folder)
from .predictor import LandmarkPredictor

__all__ = [
    'LandmarkPredictor', 'ImagePrediction', 'Landmark', 'collect_images',
    'load_image', 'normalize_spacing', 'read_spacing_csv', 'lookup_spacing',
    'IMAGE_EXTENSIONS', 'GroundTruth', 'load_ground_truth',
    'compare_with_ground_truth', 'InferenceOutcome', 'predict_to_folder',
    'output_stems', 'check_output_folder', 'LANDMARK_COLUMNS',
    'MEASUREMENT_COLUMNS', 'DEFAULT_REVIEW_BELOW', 'labelme_can_open',
    'labelme_labels', 'labelme_record', 'write_labelme_file', 'resolve_spacing'
]
