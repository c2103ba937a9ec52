"""Scopes do not mix, end to end: the real crawl against the fake Hub, then the real build."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

from constellation.cli import main
from crawler.run import crawl
from crawler.scope import Scope


def test_a_trial_crawl_and_build_leave_the_nightly_atlas_on_the_site(hub, layout, settings):
    night = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False,
                  now=datetime(2026, 12, 3, 2, 15, tzinfo=UTC))  # fmt: skip
    assert CliRunner().invoke(main, ["build"]).exit_code == 0
    assert layout.latest_atlas_id() == night.snapshot_id
    trial = crawl(layout, Scope(limit=3), endpoint=hub.url, settings=settings, progress=False,
                  now=datetime(2026, 12, 3, 9, 0, tzinfo=UTC))  # fmt: skip
    assert trial.snapshot_id > night.snapshot_id
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert result.output == f"atlas {night.snapshot_id} is already up to date (43 models)\n"
    assert layout.latest_atlas_id() == night.snapshot_id
    result = CliRunner().invoke(main, ["build", "--snapshot", trial.snapshot_id])
    assert result.exit_code == 0, result.output
    assert layout.latest_atlas_id() == night.snapshot_id
    assert result.output.startswith(f"built atlas {trial.snapshot_id}: 3 models in ")
