"""Time the genealogy stage's declared lineage, params and features parts on one snapshot Parquet file.

    python -m bench.bench_genealogy --prepare-only --models 1000000      # the synthetic snapshot, cached
    python -m bench.bench_genealogy_parts bench/out/cache/genealogy-synthetic-1000000-0.parquet --repeat 2

For paired before/after runs, put a checkout of the base commit first on PYTHONPATH and run this file by its
path (`PYTHONPATH=/tmp/base python bench/bench_genealogy_parts.py ...`): the library measured is the one
imported, which it prints. Each part runs `--repeat` times; every time is reported.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("snapshot", type=Path)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--annotate", action="store_true", help="also time the whole stage (stage.annotate) once")
    args = p.parse_args(argv)

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    import constellation.genealogy.declared as declared_module
    from constellation.genealogy.declared import declared_lineage
    from constellation.genealogy.features import model_features
    from constellation.genealogy.params import estimate_params

    # Read as the build reads a snapshot (constellation.store): integer columns as nullable Int64.
    snapshot = pq.read_table(args.snapshot).to_pandas(
        types_mapper=lambda t: pd.Int64Dtype() if pa.types.is_integer(t) else None
    )
    results: dict[str, Any] = {"library": declared_module.__file__, "models": len(snapshot)}
    for name in ("declared_lineage_s", "estimate_params_s", "model_features_s"):
        results[name] = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        declared = declared_lineage(snapshot)
        results["declared_lineage_s"].append(round(time.perf_counter() - t0, 2))
        models = snapshot.assign(**{c: declared.columns[c] for c in declared.columns})
        t0 = time.perf_counter()
        estimate_params(models, declared.columns["parent"])
        results["estimate_params_s"].append(round(time.perf_counter() - t0, 2))
        t0 = time.perf_counter()
        model_features(models)
        results["model_features_s"].append(round(time.perf_counter() - t0, 2))
        del declared, models
    if args.annotate:
        from constellation.genealogy.stage import annotate

        t0 = time.perf_counter()
        annotate(snapshot)
        results["annotate_s"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
