"""Converters from public cephalometric datasets to the package's
COCO-style JSON."""
