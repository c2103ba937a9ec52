"""`constellation crawl`: the nightly crawl of the Hub's model list into a snapshot."""

from __future__ import annotations

import logging

import click

from constellation.cli.options import Number, data_dir_option


@click.command("crawl")
@data_dir_option
@click.option(
    "--endpoint", default=None, metavar="URL", help="Hub address (default: $HF_ENDPOINT, else https://huggingface.co)."
)
@click.option(
    "--pipeline-tag",
    default=None,
    metavar="TAG",
    help="Only models of this task (default: text-generation, the paper's scope).",
)
@click.option("--all", "whole_hub", is_flag=True, help="The whole Hub (about 3M models), no task filter.")
@click.option("--author", default=None, metavar="NAME", help="Only this owner's models.")
@click.option("--search", default=None, metavar="TEXT", help="Only ids containing TEXT.")
@click.option("--filter", "filters", multiple=True, metavar="TAG", help="Only models with this tag (repeatable).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, metavar="N", help="Stop after N models (trial runs)."
)
@click.option(
    "--page-size",
    type=click.IntRange(1, 1000),
    default=1000,
    show_default=True,
    help="Models per page (the Hub serves at most 1000).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=Number(float, 0.001, 3600),
    default=60.0,
    show_default=True,
    help="Deadline in seconds of each attempt, the whole answer included (and of each read in it).",
)
@click.option(
    "--max-response-size",
    "max_response_mib",
    type=Number(float, 0.001, 4096),
    default=64.0,
    show_default=True,
    help="Largest answer accepted, in MiB (a page of 1000 models is about 1 MiB); a larger one fails.",
)
@click.option(
    "--max-server-wait",
    "max_server_wait_s",
    type=Number(float, 0, 86400),
    default=300.0,
    show_default=True,
    help="Longest wait in seconds the Hub may ask for (Retry-After, RateLimit); asked more, the crawl stops (exit 5).",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 100),
    default=5,
    show_default=True,
    help="Retries per request (429, 5xx, timeouts), as huggingface_hub does them.",
)
@click.option(
    "--retry-wait",
    type=Number(float, 0, 3600),
    default=1.0,
    show_default=True,
    help="First backoff wait in seconds (doubles, up to 8 s); Retry-After/RateLimit win.",
)
@click.option(
    "--exhausted-wait",
    type=Number(float, 0, 86400),
    default=60.0,
    show_default=True,
    help="Seconds to wait before asking again for a page whose retries were exhausted.",
)
@click.option(
    "--budget", default="6h", show_default=True, metavar="DURATION", help="Wall-clock budget of the run (e.g. 90m, 6h)."
)
@click.option(
    "--max-checkpoint-age",
    default="12h",
    show_default=True,
    metavar="DURATION",
    help="Discard the checkpoint of a crawl started longer ago instead of resuming it.",
)
@click.option(
    "--max-drop",
    type=Number(float, 0, 1),
    default=0.2,
    show_default=True,
    help="Mark the snapshot suspect if it has this share fewer models than the median of the last 5 good ones.",
)
@click.option("--accept-drop", is_flag=True, help="Publish as ok even if the count dropped more than --max-drop.")
@click.option(
    "--probe-size",
    type=click.IntRange(0, 1000),
    default=1000,
    show_default=True,
    help="Newest models of the scope the listing must hold to be trusted (0: no probe).",
)
@click.option("--dry-run", is_flag=True, help="Show what would happen and fetch the first page; write nothing.")
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
def command(
    data_dir: str | None,
    endpoint: str | None,
    pipeline_tag: str | None,
    whole_hub: bool,
    author: str | None,
    search: str | None,
    filters: tuple[str, ...],
    limit: int | None,
    page_size: int,
    timeout_s: float,
    max_response_mib: float,
    max_server_wait_s: float,
    retries: int,
    retry_wait: float,
    exhausted_wait: float,
    budget: str,
    max_checkpoint_age: str,
    max_drop: float,
    accept_drop: bool,
    probe_size: int,
    dry_run: bool,
    progress: bool,
) -> None:
    """Crawl the Hub's model list into a dated snapshot (snapshots/<id>.parquet + .json).

    Resumes a checkpoint of an interrupted crawl of the same scope (even after kill -9), retries with
    backoff, times out every request, and publishes only a complete listing. The token comes from
    HF_TOKEN or `hf auth login`; it is never written anywhere. Exit codes: docs/crawler.md.

    \b
    Examples:
      constellation crawl                               # text-generation models, the nightly job
      constellation crawl --all                         # the whole Hub (~3M models)
      constellation crawl --author meta-llama --limit 200
      constellation crawl --filter gguf --filter base_model:quantized:Qwen/Qwen3-8B
      constellation crawl --dry-run                     # check endpoint, token and scope
      HF_ENDPOINT=http://127.0.0.1:8765 constellation crawl --page-size 50
    """
    from constellation.contract import DataLayout
    from constellation.errors import CrawlConfigError
    from crawler.run import crawl, plan
    from crawler.scope import DEFAULT_PIPELINE_TAG, CrawlSettings, Scope

    if whole_hub and pipeline_tag:
        raise CrawlConfigError("--all and --pipeline-tag contradict each other; give one of them")
    scope = Scope(
        pipeline_tag=None if whole_hub else (pipeline_tag or DEFAULT_PIPELINE_TAG),
        author=author,
        search=search,
        filters=tuple(filters),
        limit=limit,
    )
    settings = CrawlSettings(
        page_size=page_size,
        request_timeout_s=timeout_s,
        max_response_bytes=max(1024, round(max_response_mib * 1024 * 1024)),
        max_server_wait_s=max_server_wait_s,
        max_retries=retries,
        base_wait_s=retry_wait,
        exhausted_wait_s=exhausted_wait,
        budget_s=_duration("--budget", budget),
        checkpoint_max_age_s=_duration("--max-checkpoint-age", max_checkpoint_age),
        max_drop=max_drop,
        probe_size=probe_size,
    )
    _single_log_stream()
    layout = DataLayout.at(data_dir)
    if dry_run:
        report = plan(layout, scope, endpoint=endpoint, settings=settings)
        click.echo(f"endpoint:    {report.endpoint}")
        click.echo(f"scope:       {report.scope}")
        click.echo(f"first page:  {report.first_url}")
        click.echo(f"token:       {'yes' if report.authenticated else 'no (anonymous)'}")
        click.echo(f"checkpoint:  {report.checkpoint}")
        click.echo(f"drop check:  against {report.previous_snapshot or 'nothing (no earlier snapshot of this scope)'}")
        more = "more pages follow" if report.first_page_has_next else "no further page"
        click.echo(
            f"probe:       first page has {report.first_page_models} models, {more}"
            + (" (synthetic source)" if report.synthetic else "")
        )
        click.echo("dry run: nothing was written")
        return
    result = crawl(layout, scope, endpoint=endpoint, settings=settings, accept_drop=accept_drop, progress=progress)
    counts = result.manifest["counts"]
    click.echo(
        f"published snapshot {result.snapshot_id}: {counts['stored']:,} models, {counts['rejected']} rejected, "
        f"{counts['duplicates']} duplicates ({layout.snapshot(result.snapshot_id)})"
    )


def _duration(option: str, text: str) -> float:
    from constellation.errors import CrawlConfigError
    from crawler.scope import parse_duration

    try:
        return parse_duration(text)
    except CrawlConfigError as exc:
        raise CrawlConfigError(f"{option}: {exc}") from None


def _single_log_stream() -> None:
    """huggingface_hub prints its retry warnings through its own handler and also passes them to ours;
    keep ours, so each line appears once, with a time stamp."""
    library = logging.getLogger("huggingface_hub")
    for handler in list(library.handlers):
        library.removeHandler(handler)
