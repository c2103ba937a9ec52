"""Run the benchmarks: `python -m bench [NAME ...]` (all when none named)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    OUT.mkdir(exist_ok=True)
    failed = []
    for name in names:
        module = name if name.startswith("bench_") else f"bench_{name}"
        print(f"== {module}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", f"bench.{module}", "--out", str(OUT / f"{module}.json")])
        print(f"== {module}: exit {proc.returncode} in {time.perf_counter() - t0:.0f} s", flush=True)
        if proc.returncode:
            failed.append(module)
    for path in sorted(OUT.glob("*.json")):
        print(f"\n{path.name}:\n{json.dumps(json.loads(path.read_text()), indent=1)[:4000]}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
