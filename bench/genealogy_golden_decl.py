"""Golden outputs of the genealogy stage's declared lineage, params and features: proof that a speed-up changed
nothing.

    # at the base commit (a checkout of it on PYTHONPATH, this script from the branch):
    PYTHONPATH=/tmp/base python bench/genealogy_golden_decl.py save --dir /tmp/golden
    # on the branch:
    python bench/genealogy_golden_decl.py compare --dir /tmp/golden

Inputs: the bundled fixtures (tests/fixtures; also cut to no row and one row), a hand-made list of the rare
paths (malformed values, ids that differ in case or repeat, cycles), the real lists of ../shared/data that load
(hf-models-2022-10, the model-atlas-card-parents snapshot over the reference sets), and any snapshot Parquet
files given with `--snapshot` (e.g. bench_genealogy's synthetic cache), each read as pandas reads it and as
the build does. Each input also runs with every 7th name removed, so that the rows whose name comes from the
id are exercised. Per input it keeps `declared_lineage` (columns, edges, rejected, report), `estimate_params`
on the primary parents, `model_features` (every field), and, up to `--annotate-max` rows, the whole
`stage.annotate` (models, edges, report). `compare` asserts each is exactly equal (values, dtypes, index,
column order; NaN equal to NaN).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _fixture(name: str) -> pd.DataFrame:
    from crawler.records import snapshot_frame_from_records

    return snapshot_frame_from_records(pd.read_json(ROOT / "tests" / "fixtures" / f"{name}.jsonl", lines=True))


def _hf_models_2022_10() -> pd.DataFrame:
    from crawler.records import snapshot_frame_from_records

    raw = pd.read_parquet(SHARED / "hf-models-2022-10" / "model_info.parquet")
    records = pd.DataFrame(
        {
            "id": raw["modelId"],
            "author": raw["author"],
            "downloads": raw["downloads"],
            "created_at": pd.to_datetime(raw["creation_time"], utc=True, errors="coerce").map(
                lambda t: None if pd.isna(t) else t.isoformat()
            ),
            "tags": [[] for _ in range(len(raw))],
        }
    )
    return snapshot_frame_from_records(records)


def _card_parents() -> pd.DataFrame:
    from crawler.importer import card_parents_snapshot, load_card_parents, load_reference_snapshots

    truth = load_card_parents(SHARED)
    if truth is None:
        raise FileNotFoundError(SHARED / "model-atlas-card-parents")
    return card_parents_snapshot(load_reference_snapshots(SHARED), truth)


def _hand_made() -> pd.DataFrame:
    """Malformed values, ids that differ only in case, an id listed twice, external parents spelt two ways,
    a cycle and a self-reference: the paths real lists rarely take."""
    rows: list[tuple[str, object]] = [
        ("org/base", []),
        ("Org/Model", []),
        ("org/model", []),
        ("org/url-child", [{"id": "https://huggingface.co/org/base", "relation": "finetune"}]),
        ("org/number-child", [{"id": 7, "relation": "finetune"}]),
        ("org/dup-child", [{"id": "org/base", "relation": "quantized"}, {"id": "org/base", "relation": "quantized"}]),
        ("org/rel-child", [{"id": "org/base", "relation": "distilled"}]),
        ("org/bad-child", [{"id": "org/ba se", "relation": "adapter"}]),
        ("org/string-list", "org/base"),
        ("org/not-record", ["org/base"]),
        ("org/twin", [{"id": "org/base", "relation": None}, {"id": "org/base", "relation": "adapter"}]),
        ("q/Model-7B-GGUF", [{"id": "ORG/MODEL", "relation": None}]),
        ("a/child-of-lower", [{"id": "org/model", "relation": "finetune"}]),
        ("b/child-of-upper", [{"id": "Org/Model", "relation": "adapter"}]),
        ("c/ext-1", [{"id": "Gone/Parent", "relation": "finetune"}, {"id": "org/base", "relation": "merge"}]),
        ("c/ext-2", [{"id": "gone/parent", "relation": "finetune"}]),
        ("c/twice", [{"id": "org/base", "relation": "finetune"}]),
        ("c/twice", [{"id": "org/model", "relation": "adapter"}]),
        ("x/a", [{"id": "x/b", "relation": "finetune"}]),
        ("x/b", [{"id": "x/a", "relation": "finetune"}]),
        ("x/self", [{"id": "x/self", "relation": "finetune"}]),
        ("legacy-model", [{"id": " org/base ", "relation": "quantized"}]),
    ]
    ids = [r[0] for r in rows]
    return pd.DataFrame(
        {
            "id": ids,
            "author": [i.split("/")[0] if "/" in i else None for i in ids],
            "name": [i.split("/")[-1] for i in ids],
            "downloads": [(7 * k) % 11 for k in range(len(ids))],
            "created_at": pd.to_datetime([f"2024-01-{1 + k % 5:02d}" for k in range(len(ids))], utc=True),
            "tags": [[] for _ in ids],
            "base_models": [r[1] for r in rows],
        }
    )


def inputs(snapshots: list[Path]) -> dict[str, Any]:
    """Input name → a loader of its snapshot frame."""
    out: dict[str, Any] = {
        "empty": lambda: _fixture("lineage_cycle").head(0),
        "one-model": lambda: _fixture("lineage_cycle").head(1),
        "hand-made": _hand_made,
        "fixture-lineage_top_downloads": lambda: _fixture("lineage_top_downloads"),
        "fixture-lineage_cycle": lambda: _fixture("lineage_cycle"),
        "hf-models-2022-10": _hf_models_2022_10,
        "model-atlas-card-parents": _card_parents,
    }
    for path in snapshots:
        out[path.stem] = lambda path=path: pd.read_parquet(path)
        # As the build reads a snapshot (constellation.store): integer columns as nullable Int64.
        out[f"{path.stem}-as-built"] = lambda path=path: pq.read_table(path).to_pandas(
            types_mapper=lambda t: pd.Int64Dtype() if pa.types.is_integer(t) else None
        )
    return out


def _without_some_names(snapshot: pd.DataFrame) -> pd.DataFrame:
    out = snapshot.copy()
    out["name"] = out["name"].astype(object)
    out.loc[out.index[::7], "name"] = None
    return out


def outputs(snapshot: pd.DataFrame, annotate_max: int) -> dict[str, Any]:
    """Everything the three parts (and, for small inputs, the whole stage) return for `snapshot`."""
    from constellation.genealogy.declared import declared_lineage
    from constellation.genealogy.features import model_features
    from constellation.genealogy.params import estimate_params

    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    declared = declared_lineage(snapshot)
    out["declared.columns"] = declared.columns
    out["declared.edges"] = declared.edges
    out["declared.rejected"] = declared.rejected
    out["declared.report"] = declared.report
    t1 = time.perf_counter()
    out["params"] = estimate_params(snapshot, declared.columns["parent"])
    t2 = time.perf_counter()
    models = snapshot.assign(**{c: declared.columns[c] for c in declared.columns})
    features = model_features(models)
    t3 = time.perf_counter()
    out["features"] = {f.name: pd.Series(getattr(features, f.name)) for f in fields(features)}
    timing = f"declared {t1 - t0:.2f} s, params {t2 - t1:.2f} s, features {t3 - t2:.2f} s"
    if len(snapshot) <= annotate_max:
        from constellation.genealogy.stage import annotate

        t0 = time.perf_counter()
        genealogy = annotate(snapshot)
        timing += f", annotate {time.perf_counter() - t0:.2f} s"
        out["annotate.models"] = genealogy.models
        out["annotate.edges"] = genealogy.edges
        out["annotate.report"] = genealogy.report
    print(f"    {timing}", flush=True)
    return out


def _tag_values(tags: Any) -> list[str]:
    """The tags of every row of a `RowTags`, as text (a RowTags holds numpy arrays, which == cannot compare)."""
    values = tags.take(np.arange(len(tags))).tolist()
    return [repr(None if v is None else list(v)) for v in values]


def assert_same(name: str, expected: Any, actual: Any) -> None:
    from constellation.genealogy.features import RowTags

    if isinstance(expected, pd.Series) and len(expected) == 1 and isinstance(expected.iloc[0], RowTags):
        assert _tag_values(actual.iloc[0]) == _tag_values(expected.iloc[0]), name
    elif isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected, check_exact=True, obj=name)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(actual, expected, check_exact=True, obj=name)
        # assert_series_equal lets None stand for NaN in object columns: check the Python values as well.
        assert [repr(v) for v in actual.tolist()] == [repr(v) for v in expected.tolist()], name
    elif isinstance(expected, dict):
        assert set(actual) == set(expected), f"{name}: keys {sorted(actual)} != {sorted(expected)}"
        for key in expected:
            assert_same(f"{name}.{key}", expected[key], actual[key])
    else:
        assert repr(actual) == repr(expected), f"{name}: {actual!r} != {expected!r}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("save", "compare"))
    p.add_argument("--dir", type=Path, required=True, help="where the golden outputs are saved / read")
    p.add_argument("--snapshot", type=Path, nargs="*", default=[], help="more snapshot Parquet files")
    p.add_argument("--annotate-max", type=int, default=100_000, help="run stage.annotate up to this many rows")
    p.add_argument("--only", nargs="*", help="input names to run (default: all)")
    args = p.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    failed = []
    for name, load in inputs(args.snapshot).items():
        if args.only and name not in args.only:
            continue
        try:
            snapshot = load()
        except (FileNotFoundError, OSError) as error:
            print(f"{name}: not loadable, skipped ({error})", flush=True)
            continue
        for variant, frame in ((name, snapshot), (f"{name}-some-names-missing", _without_some_names(snapshot))):
            print(f"{variant}: {len(frame):,} rows", flush=True)
            result = outputs(frame, args.annotate_max)
            path = args.dir / f"{variant}.pickle"
            if args.mode == "save":
                path.write_bytes(pickle.dumps(result, protocol=5))
                continue
            expected = pickle.loads(path.read_bytes())
            try:
                assert_same(variant, expected, result)
            except AssertionError as error:
                failed.append(variant)
                print(f"    DIFFERENT: {error}", flush=True)
            else:
                print(f"    equal ({', '.join(sorted(result))})", flush=True)
    if failed:
        print(f"different: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
