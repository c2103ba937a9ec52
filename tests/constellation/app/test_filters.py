import numpy as np
import pandas as pd
import pytest

from constellation.app.filters import (
    FILTER_COLUMNS,
    ROOT,
    Filters,
    apply_filters,
    choices,
    filter_mask,
    filters_from_query_params,
    kept_rows,
)


@pytest.fixture
def models() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a/base", "b/ft", "c/q", "d/other", "e/nosize"],
            "pipeline_tag": pd.Categorical(
                ["text-generation", "text-generation", "text-generation", "fill-mask", None]
            ),
            "downloads": pd.array([1000, 50, 5000, 10, None], dtype="Int64"),
            "params": [8e9, 8e9, None, 1.1e8, None],
            "license": pd.Categorical(["mit", "apache-2.0", "mit", None, "mit"]),
            "parent": [None, "a/base", "b/ft", None, "a/base"],
            "relation": pd.Categorical([None, "finetune", "quantized", None, None]),
        }
    )


def test_no_filter_keeps_everything(models):
    assert filter_mask(models, Filters()).tolist() == [True] * 5
    assert apply_filters(models, Filters()) is models


def test_each_filter(models):
    def ids(f):
        return apply_filters(models, f)["id"].tolist()

    assert ids(Filters(pipeline_tags=("text-generation",))) == ["a/base", "b/ft", "c/q"]
    assert ids(Filters(min_downloads=1000)) == ["a/base", "c/q"]  # unknown downloads count as 0
    assert ids(Filters(params_min_b=1)) == ["a/base", "b/ft"]  # unknown sizes drop out of a range
    assert ids(Filters(params_max_b=0.2)) == ["d/other"]
    assert ids(Filters(licenses=("mit",))) == ["a/base", "c/q", "e/nosize"]
    assert ids(Filters(relations=("finetune",))) == ["b/ft"]
    assert ids(Filters(relations=(ROOT,))) == ["a/base", "d/other"]
    assert ids(Filters(relations=(ROOT, "quantized"))) == ["a/base", "c/q", "d/other"]
    assert ids(Filters(pipeline_tags=("text-generation",), licenses=("mit",), min_downloads=2000)) == ["c/q"]


def test_filter_on_missing_column_keeps_nothing(models):
    assert filter_mask(models.drop(columns="params"), Filters(params_min_b=1)).tolist() == [False] * 5


def test_query_params_round_trip():
    f = Filters(("text-generation", "fill-mask"), 1000, 0.5, 13.0, ("mit",), (ROOT, "finetune"))
    params = f.to_query_params()
    assert params == {
        "pipeline": ["text-generation", "fill-mask"],
        "min_dl": "1000",
        "pmin": "0.5",
        "pmax": "13",
        "license": ["mit"],
        "relation": ["root", "finetune"],
    }
    parsed = filters_from_query_params(params)
    assert parsed.filters == f and parsed.ignored == []
    assert Filters().to_query_params() == {}
    assert not Filters().active and f.active


def test_bad_query_params_are_ignored_and_reported():
    parsed = filters_from_query_params({"min_dl": "lots", "pmin": "-3", "pmax": "inf", "pipeline": ["x", "x", ""]})
    assert parsed.filters == Filters(pipeline_tags=("x",))
    assert parsed.ignored == [
        "min_dl=lots: not a number",
        "pmin=-3: must be a finite number ≥ 0",
        "pmax=inf: must be a finite number ≥ 0",
    ]


def test_swapped_range_is_swapped():
    parsed = filters_from_query_params({"pmin": "13", "pmax": "1"})
    assert (parsed.filters.params_min_b, parsed.filters.params_max_b) == (1.0, 13.0)
    assert parsed.ignored == ["pmin=13 > pmax=1: swapped them"]


def test_choices_most_common_first(models):
    assert choices(models, "license") == ["mit", "apache-2.0"]
    assert choices(models, "nope") == []
    assert isinstance(filter_mask(models, Filters(min_downloads=1)), np.ndarray)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(pipeline_tags=("text-generation",)),
        Filters(min_downloads=1000),
        Filters(params_min_b=1, params_max_b=9),
        Filters(licenses=("mit",)),
        Filters(relations=("finetune",)),
        Filters(relations=(ROOT,)),
        Filters(relations=(ROOT, "quantized"), licenses=("mit",)),
    ],
)
def test_a_filter_reads_only_its_columns_and_kept_rows_are_its_mask(models, filters):
    # The site filters a frame of `filters.columns` alone (the models table is read a column at a time).
    only = models[list(filters.columns)]
    assert filter_mask(only, filters).tolist() == filter_mask(models, filters).tolist()
    assert kept_rows(only, filters).tolist() == np.flatnonzero(filter_mask(models, filters)).tolist()


def test_no_filter_reads_no_column_and_every_filter_reads_filter_columns():
    assert Filters().columns == ()
    assert Filters(relations=(ROOT,)).columns == ("parent",)
    every = Filters(("text-generation",), 1, 1.0, 2.0, ("mit",), ("finetune", ROOT))
    assert every.columns == FILTER_COLUMNS
