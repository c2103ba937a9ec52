"""The snapshot's two list columns, `base_models` and `tags`, as Arrow lists, converted once per stage.

Declared lineage and parameter counts both read `base_models`; parameter counts and the features of inferred
lineage both read `tags`. Converting a column of Python lists to Arrow is the costly part of each (about
0.3 s per column per reader at 200k models), so `stage.annotate` converts each column once and hands the
result to every reader; a reader called alone converts for itself. A column the frame already holds in Arrow
(`pd.ArrowDtype`, as the build reads a snapshot) is taken as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from constellation.contract import BASE_MODEL_TYPE
from constellation.genealogy.tag_lists import tag_lists


def base_model_lists(base_models: pd.Series) -> pa.ListArray | None:
    """The base_models column as an Arrow list of {id, relation} records, when every value is a list of such
    records or missing (as read from a snapshot); None otherwise."""
    if isinstance(base_models.dtype, pd.ArrowDtype):  # read in Arrow (store.read_snapshot): its own buffers
        return arrow_list_column(base_models, pa.list_(BASE_MODEL_TYPE))
    try:
        return pa.array(base_models.tolist(), type=pa.list_(BASE_MODEL_TYPE), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None


def arrow_list_column(column: pd.Series, list_type: pa.DataType) -> pa.ListArray | None:
    """A column of `pd.ArrowDtype` lists as one Arrow array of `list_type`, from its own buffers (no Python
    object per row); None when its values do not fit the type."""
    values = pa.array(column.array)  # the column's own Arrow data (a chunked array)
    if isinstance(values, pa.ChunkedArray):
        values = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    try:
        return values.cast(list_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


@dataclass(frozen=True)
class ListColumns:
    """A frame's list columns in Arrow. None where the frame has no such column or where some value does not
    fit the Arrow type: the reader then checks row by row, as it would have after converting it itself."""

    base_models: pa.ListArray | None
    tags: pa.ListArray | None


def list_columns(frame: pd.DataFrame) -> ListColumns:
    """`base_model_lists` of the frame's `base_models` and `tag_lists` of its `tags`, where it has them."""
    return ListColumns(
        base_models=base_model_lists(frame["base_models"]) if "base_models" in frame.columns else None,
        tags=_tags(frame["tags"]) if "tags" in frame.columns else None,
    )


def _tags(tags: pd.Series) -> pa.ListArray | None:
    if isinstance(tags.dtype, pd.ArrowDtype):
        return arrow_list_column(tags, pa.list_(pa.string()))
    return tag_lists(tags)
