"""Outputs for people: landmark overlays, LabelMe pre-annotation, HTML
reports and the output folder's file names."""
