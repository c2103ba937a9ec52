"""What `constellation build` loads: no library it does not use, so its start-up cannot silently grow again.

Issue 12 asks for the paper's 15,821 models built in ≤ 5 s, process start included; imports were a third of
that (scikit-learn alone loaded scipy.stats: ~1 s). Each check runs in a fresh interpreter, since this test
process has long imported everything. Timings live in bench/bench_paper.py, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from constellation.contract import DataLayout
from tests.snapshot_factory import model_row, write_snapshot

ROOT = Path(__file__).resolve().parents[2]

# Never needed by a build: scikit-learn (TF-IDF is constellation/atlas/tfidf.py), scipy's statistics and
# optimisers, python-louvain's networkx (only `--community-algorithm louvain`), and the site's libraries.
NEVER = ("sklearn", "scipy.stats", "scipy.optimize", "networkx", "community", "matplotlib", "streamlit", "pyvis")
# Loaded by the build when it runs a stage that needs them, but not by importing the command.
NOT_AT_IMPORT = (*NEVER, "igraph", "plotly")


def _loaded_after(code: str, forbidden: tuple[str, ...]) -> list[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {forbidden!r} if m in sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_build_command_loads_none_of_the_heavy_libraries():
    code = "import constellation.cli, constellation.cli.build, constellation.build, constellation.atlas.stage"
    assert _loaded_after(code, NOT_AT_IMPORT) == []


def test_a_whole_build_loads_no_library_it_does_not_use(tmp_path):
    layout = DataLayout(tmp_path)
    rows = [
        model_row("meta-llama/Llama-2-7b-hf", downloads=1000),
        model_row("meta-llama/Llama-2-13b-hf", downloads=800),
        model_row(
            "someone/llama2-chat-ft",
            downloads=100,
            base_models=[{"id": "meta-llama/Llama-2-7b-hf", "relation": "finetune"}],
        ),
        model_row("TheBloke/Llama-2-7B-GGUF", downloads=500),
        model_row("mistralai/Mistral-7B-v0.1", downloads=900),
        model_row("TheBloke/Mistral-7B-v0.1-GGUF", downloads=300),
    ]
    write_snapshot(layout, "20260101T000000Z", rows)
    code = (
        "from constellation.build import build\nfrom constellation.contract import DataLayout\n"
        f"assert not build(DataLayout({str(tmp_path)!r})).skipped"
    )
    assert _loaded_after(code, NEVER) == []
    assert layout.latest_atlas_id() == "20260101T000000Z"  # the build did run to the end
