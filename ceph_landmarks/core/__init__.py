"""The core: everything that needs neither torch nor OpenMMLab.

Landmark sets (:mod:`.metainfo`), image and annotation reading with pixel
spacing (:mod:`.io`), the evaluation and measurement maths
(:mod:`.evaluation`), dataset conversion (:mod:`.conversion`), prediction
records (:mod:`.prediction`, :mod:`.ground_truth`) and the writers of the
clinic outputs (:mod:`.writers`). The MMPose layer (``datasets``,
``models``, ``engine``, ``evaluation``, ``visualization``) stands on it;
``tests/test_layering.py`` imports every module here with torch and
OpenMMLab blocked.
"""
