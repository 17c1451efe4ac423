"""Reading what a user brings: images of any bit depth and DICOM files
(:mod:`.image_io`, :mod:`.dicom`, :mod:`.image_loading`), annotations
through one contract (:mod:`.annotations`), input folders
(:mod:`.inputs`) and the pixel spacing of each image
(:mod:`.spacing_source`)."""
