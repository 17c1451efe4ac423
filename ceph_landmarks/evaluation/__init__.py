"""Metrics registered in MMPose's ``METRICS``; their maths is in
:mod:`ceph_landmarks.core.evaluation`."""
from .metrics import *  # noqa: F401,F403
