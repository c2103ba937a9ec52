"""Golden outputs of inferred lineage and its calibration: save them at one commit, compare at another.

    python -m bench.genealogy_golden save --dir /tmp/golden-base         # at the commit to match
    python -m bench.genealogy_golden compare --dir /tmp/golden-base      # at the commit that must match it

A change meant to make inference faster without changing what it says is checked here: on every input,
the raw proposals of `infer_lineage` (hand-set confidences, before any threshold) and its report, the
calibration (`calibrate_lineage`: its table, figures and every scored masked proposal), and the whole
genealogy stage (`stage.annotate`: models, edges, report) must be equal to the saved ones, value for value
and dtype for dtype (floats compared exactly). Inputs:
- `fixture-top-downloads`, `fixture-cycle`: the test fixtures (tests/fixtures/lineage_*.jsonl);
- `hf-top-downloads-2024-09`, `hf-model-trees`: the reference lists of ../shared/data, as `constellation
  evaluate` reads them;
- `card-parents`: the snapshot `constellation evaluate` infers model-atlas-card-parents on (both lists above,
  plus id-only rows for the card set's models, whose own declarations are removed);
- `hf-models-2022-10`: the Hub's list of October 2022 (75k ids, no lineage: name and prefix matches only);
- `synthetic-N`: the synthetic Hub of `bench.bench_genealogy` (its cached Parquet; `--synthetic 0` skips it).

Frames are pickled, so dtypes are kept as they are; both commits must run under the same pandas.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared" / "data"


def _fixture(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from crawler.records import snapshot_frame_from_records

        return snapshot_frame_from_records(pd.read_json(FIXTURES / f"{name}.jsonl", lines=True))

    return load


def _reference(name: str, shared: Path) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from crawler.importer import REFERENCE_SOURCES

        relative, loader = REFERENCE_SOURCES[name]
        return loader(shared / relative)

    return load


def _card_parents(shared: Path) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from crawler.importer import card_parents_snapshot, load_card_parents, load_reference_snapshots

        truth = load_card_parents(shared)
        if truth is None:
            raise FileNotFoundError(f"no model-atlas-card-parents under {shared}")
        return card_parents_snapshot(load_reference_snapshots(shared), truth)

    return load


def _hf_models_2022_10(shared: Path) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from crawler.records import snapshot_frame_from_records

        raw = pd.read_parquet(shared / "hf-models-2022-10" / "model_info.parquet")
        records = pd.DataFrame(
            {
                "id": raw["modelId"].astype(object),
                "downloads": raw["downloads"],
                "created_at": raw["creation_time"],
                "tags": [[] for _ in range(len(raw))],
            }
        )
        return snapshot_frame_from_records(records)

    return load


def _synthetic(models: int) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import pyarrow.parquet as pq

        from bench.bench_genealogy import prepare

        return pq.read_table(prepare("synthetic", models, 0)).to_pandas()

    return load


def inputs(shared: Path, synthetic: int) -> dict[str, Callable[[], pd.DataFrame]]:
    out = {
        "fixture-top-downloads": _fixture("lineage_top_downloads"),
        "fixture-cycle": _fixture("lineage_cycle"),
        "hf-top-downloads-2024-09": _reference("hf-top-downloads-2024-09", shared),
        "hf-model-trees": _reference("hf-model-trees", shared),
        "card-parents": _card_parents(shared),
        "hf-models-2022-10": _hf_models_2022_10(shared),
    }
    if synthetic:
        out[f"synthetic-{synthetic}"] = _synthetic(synthetic)
    return out


def outputs(snapshot: pd.DataFrame) -> Iterator[tuple[str, Any]]:
    """(name, value) of everything inference and calibration say about `snapshot`, as the stage computes it."""
    from constellation.genealogy.calibration import calibrate_lineage
    from constellation.genealogy.declared import declared_lineage
    from constellation.genealogy.features import model_features
    from constellation.genealogy.inferred import DEFAULT_MIN_CONFIDENCE, infer_lineage
    from constellation.genealogy.stage import annotate

    declared = declared_lineage(snapshot)
    needs_parent = declared.columns["parent"].isna().to_numpy()
    features = model_features(snapshot)
    t0 = time.perf_counter()
    inferred = infer_lineage(snapshot, needs_parent, declared.edges, features=features)
    yield "infer_s", round(time.perf_counter() - t0, 2)
    yield "proposals", inferred.proposals
    yield "infer_report", inferred.report
    t0 = time.perf_counter()
    calibration = calibrate_lineage(
        snapshot, declared.edges, ~needs_parent, fallback_threshold=DEFAULT_MIN_CONFIDENCE, features=features
    )
    yield "calibrate_s", round(time.perf_counter() - t0, 2)
    yield "calibration", calibration.as_dict()
    yield "calibration_scored", calibration.scored
    yield "calibrated_proposals", calibration.apply(inferred.proposals)
    del features, inferred, calibration
    genealogy = annotate(snapshot)
    yield "annotate_models", genealogy.models
    yield "annotate_edges", genealogy.edges
    yield "annotate_report", genealogy.report


def _same(name: str, saved: Any, now: Any) -> str | None:
    """None when equal, else what differs."""
    if isinstance(saved, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(now, saved, check_exact=True)
        except AssertionError as exc:
            return f"{name}: {str(exc).splitlines()[:6]}"
        return None
    if json.dumps(saved, sort_keys=True, default=str) != json.dumps(now, sort_keys=True, default=str):
        return f"{name}: differs"
    return None


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("save", "compare"))
    p.add_argument("--dir", type=Path, required=True, help="folder of the saved outputs")
    p.add_argument("--shared-data", type=Path, default=SHARED)
    p.add_argument("--synthetic", type=int, default=200_000, help="models of the synthetic input (0: none)")
    p.add_argument("--only", nargs="*", help="these inputs only")
    args = p.parse_args(argv)
    failures = 0
    for name, load in inputs(args.shared_data, args.synthetic).items():
        if args.only and name not in args.only:
            continue
        snapshot = load()
        folder = args.dir / name
        folder.mkdir(parents=True, exist_ok=True)
        differences, timing = [], {}
        for part, value in outputs(snapshot):
            if part.endswith("_s"):
                timing[part] = value
                continue
            path = folder / f"{part}.pickle"
            if args.mode == "save":
                path.write_bytes(pickle.dumps(value))
                continue
            difference = _same(part, pickle.loads(path.read_bytes()), value)
            if difference:
                differences.append(difference)
        verdict = "saved" if args.mode == "save" else ("SAME" if not differences else "DIFFERENT")
        print(f"{name}: {len(snapshot):,} models, {verdict} {timing}", flush=True)
        for difference in differences:
            print(f"    {difference}", flush=True)
        failures += bool(differences)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
