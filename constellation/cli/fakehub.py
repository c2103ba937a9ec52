"""`constellation fakehub`: serve a fake Hugging Face Hub on 127.0.0.1 until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from constellation.cli.options import MAX_SYNTHETIC_MODELS, SEED, Number
from constellation.errors import ConstellationError

DEFAULT_SYNTHETIC_MODELS = 20_000


@click.command("fakehub")
@click.option(
    "--jsonl",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Serve these /api/models records (JSONL or JSONL.gz, one model per line).",
)
@click.option(
    "--synthetic",
    "synthetic_models",
    type=Number(int, 1, MAX_SYNTHETIC_MODELS),
    default=None,
    metavar="N",
    help=f"Serve N synthetic models (the default, with N={DEFAULT_SYNTHETIC_MODELS:,}, when no --jsonl).",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the synthetic Hub.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=Number(int, 0, 65535), default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option(
    "--page-size",
    type=Number(int, 1, 1000),
    default=1000,
    show_default=True,
    help="Models per page when a request has no `limit`.",
)
@click.option(
    "--fault",
    "fault_specs",
    multiple=True,
    metavar="SPEC",
    help="Inject a fault: KIND[@PAGE][xTIMES][:key=value,...] (repeatable; TIMES 'inf' = forever).",
)
def command(
    jsonl: Path | None,
    synthetic_models: int | None,
    seed: int,
    host: str,
    port: int,
    page_size: int,
    fault_specs: tuple[str, ...],
) -> None:
    """Serve a fake Hugging Face Hub: GET /api/models with Link pagination, filters, sorts and
    projections as the real Hub, plus injected faults, for tests, benchmarks and the offline demo.

    The first line on stdout is "fakehub listening on URL (...)"; point the crawler at it with
    HF_ENDPOINT=URL. Synthetic models are labelled synthetic in every response
    (X-Fake-Hub-Source: synthetic). Fault kinds: see fakehub/faults.py and ../shared/docs/hub-api.md.

    \b
    Examples:
      constellation fakehub
      constellation fakehub --synthetic 100000 --seed 7 --port 8765
      constellation fakehub --jsonl ../shared/data/hf-models-2022-02/infos.jsonl.gz --page-size 5
      constellation fakehub --fault server_error@2x3:status=503 --fault drop_link@5
      constellation fakehub --fault rate_limit_retry_after@1:seconds=2 --fault link_loop@3xinf
    """
    from fakehub.faults import FaultPlan, parse_fault_spec
    from fakehub.server import FakeHub

    if jsonl is not None and synthetic_models is not None:
        raise ConstellationError("choose one source: --jsonl FILE or --synthetic N, not both")
    plan = FaultPlan([parse_fault_spec(spec) for spec in fault_specs])
    options: dict[str, Any] = {"page_size": page_size, "faults": plan, "host": host, "port": port}
    if jsonl is not None:
        hub = FakeHub.from_jsonl(jsonl, **options)
        what = f"{hub.store.n:,} models from {jsonl}"
    else:
        count = synthetic_models or DEFAULT_SYNTHETIC_MODELS
        hub = FakeHub.synthetic(count, seed, **options)
        what = f"{hub.store.n:,} synthetic models, seed {seed}"

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    hub.start()
    try:
        click.echo(f"fakehub listening on {hub.url} ({what})")
        sys.stdout.flush()  # the URL line must reach a parent that reads our stdout through a pipe
        for fault in plan.pending:
            click.echo(f"fault armed: {fault.describe()}", err=True)
        while not stopping.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    click.echo(f"fakehub stopped after {len(hub.requests):,} requests", err=True)
