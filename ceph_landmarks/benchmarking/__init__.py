"""Throughput, MFU and peak-memory measurement of training and inference
(``tools/benchmark.py`` and the GPU check). Not imported by
``import ceph_landmarks``."""
