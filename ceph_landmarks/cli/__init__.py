"""What the command-line tools share: the options that name a model
(:func:`add_cascade_arguments`), ``--data-root`` (:mod:`.data_root`), how
a tool ends on bad input (:func:`run_tool`, :mod:`.tool_runner`, on
:mod:`ceph_landmarks.core.input_errors`) and how its options change a
config (:mod:`.config_overrides`). Importing the
package imports no torch: the converters end through :func:`run_tool`
too."""
from .data_root import DATALOADERS, add_data_root_argument, set_data_root
from .tool_runner import (add_cascade_arguments, check_cascade_arguments,
                          check_output_file, run_tool)

__all__ = [
    'DATALOADERS', 'add_cascade_arguments', 'add_data_root_argument',
    'check_cascade_arguments', 'check_output_file', 'run_tool', 'set_data_root'
]
