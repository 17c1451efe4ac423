"""The core's logger.

The core imports no mmengine, so it logs through the standard library's
logger ``'ceph_landmarks'``. Where the MMPose layer is loaded
(``import ceph_landmarks`` with MMPose installed), those records go to the
current ``MMLogger`` as everything else a Runner logs does
(:mod:`ceph_landmarks.engine.core_log_handler`); without it (the light
runtime), warnings and errors reach stderr through the standard library's
last-resort handler unless the program configures logging.
"""
import logging

__all__ = ['LOGGER_NAME', 'get_logger']

LOGGER_NAME = 'ceph_landmarks'


def get_logger() -> logging.Logger:
    """The ``'ceph_landmarks'`` logger, passing INFO and above.

    Returns:
        logging.Logger: The core's logger.
    """
    logger = logging.getLogger(LOGGER_NAME)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return logger
