"""Per-image pixel spacing read from a CSV table."""
import csv
import math
from typing import Dict

__all__ = ['read_spacing_csv']


def read_spacing_csv(path: str,
                     key_column: str = 'image',
                     value_column: str = 'spacing') -> Dict[str, float]:
    """Read ``image -> spacing (mm/px)`` from a CSV file with a header.

    Args:
        path (str): CSV file.
        key_column (str): Column naming the image (e.g. a file stem).
        value_column (str): Column with the spacing in mm/px.

    Returns:
        dict[str, float]: Spacing of each image key.

    Raises:
        ValueError: If a column is missing, a key repeats with another
            value, or a spacing is not a positive number (naming the file
            and the line).

    Examples:
        >>> read_spacing_csv('spacing.csv')  # doctest: +SKIP
        {'001': 0.144, '002': 0.144}
    """
    table: Dict[str, float] = {}
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        for column in (key_column, value_column):
            if column not in columns:
                raise ValueError(f'{path}: no column {column!r}; the header '
                                 f'has {columns}')
        for row in reader:
            line = reader.line_num
            key = (row[key_column] or '').strip()
            try:
                value = float(row[value_column])
            except (TypeError, ValueError):
                value = math.nan
            if not key or not math.isfinite(value) or value <= 0:
                raise ValueError(
                    f'{path}, line {line}: expected an image name and a '
                    f'positive spacing, but got {key!r} and '
                    f'{row[value_column]!r}')
            if table.get(key, value) != value:
                raise ValueError(f'{path}, line {line}: image {key!r} '
                                 f'listed again with another spacing')
            table[key] = value
    return table
