import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from constellation.app.data import load_atlas
from constellation.app.similarity import build_similarity_index
from constellation.contract import EDGE_SCHEMA, DataLayout


def _write_edges(path, rows):
    frame = pd.DataFrame(rows, columns=["source", "target", "kind", "weight"])
    frame["relation"] = None
    frame["confidence"] = np.nan
    frame["evidence"] = None
    pq.write_table(pa.Table.from_pandas(frame, schema=EDGE_SCHEMA, preserve_index=False), path)


def test_index_answers_neighbours_and_edges_among(tmp_path):
    path = tmp_path / "edges.parquet"
    _write_edges(
        path,
        [
            ("a", "b", "similarity", 0.5),
            ("a", "c", "similarity", 0.9),
            ("b", "a", "similarity", 0.5),
            ("c", "d", "similarity", 0.3),
            ("a", "d", "declared", None),  # lineage: not a similarity edge
            ("a", "zz-not-in-atlas", "similarity", 0.99),
        ],
    )
    index = build_similarity_index(path, np.array(["a", "b", "c", "d"], dtype=object))
    assert index.edges == 4 and index.offsets.tolist() == [0, 2, 3, 4, 4]
    assert index.neighbours("a").to_dict("records") == [
        {"id": "c", "weight": 0.8999999761581421},
        {"id": "b", "weight": 0.5},
    ]
    assert index.neighbours("d").empty and index.neighbours("nope").empty
    among = index.edges_of(["a", "b", "d"], within=True)
    assert among[["source", "target"]].values.tolist() == [["a", "b"], ["b", "a"]]
    touching = index.edges_of(["c", "a"])
    assert touching[["source", "target"]].values.tolist() == [["a", "c"], ["a", "b"], ["c", "d"]]
    empty = build_similarity_index(None, np.array(["a"], dtype=object))
    assert empty.edges == 0 and empty.neighbours("a").empty


def test_index_matches_the_built_atlas(atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    index = build_similarity_index(atlas.edges_path, atlas.sorted_ids)
    edges = pd.read_parquet(atlas.edges_path)
    sim = edges[edges["kind"] == "similarity"]
    assert index.edges == len(sim)
    model = sim["source"].value_counts().index[0]
    mine = sim[sim["source"] == model]
    got = index.edges_of([model])
    assert sorted(got["target"]) == sorted(mine["target"])
    assert np.allclose(sorted(got["weight"]), sorted(mine["weight"]), atol=1e-6)
    near = index.neighbours(model, k=5)
    assert len(near) == 5 and np.allclose(near["weight"], np.sort(mine["weight"].to_numpy())[::-1][:5], atol=1e-6)
