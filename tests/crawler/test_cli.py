"""The thin CLI: `constellation crawl`, `import` and `history` parse options, call the library, report,
and exit with the documented codes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from constellation.cli import main
from fakehub.faults import Fault
from fakehub.store import HubStore
from tests.crawler.conftest import PAGE_SIZE, make_records

FAST = ["--page-size", str(PAGE_SIZE), "--timeout", "0.5", "--retries", "1", "--retry-wait", "0.01",
        "--exhausted-wait", "0.01", "--no-progress"]  # fmt: skip


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_crawl_publishes_and_reports(hub, data_dir):
    result = invoke("crawl", "--endpoint", hub.url, "--data-dir", str(data_dir), *FAST)
    assert result.exit_code == 0, result.output
    assert "published snapshot" in result.output and ": 43 models, 0 rejected, 0 duplicates" in result.output


def test_crawl_scope_options_reach_the_hub(hub, data_dir):
    result = invoke("crawl", "--endpoint", hub.url, "--data-dir", str(data_dir), "--all", "--author", "org1",
                    "--search", "model", "--filter", "transformers", "--limit", "3", *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    query = hub.model_requests[0].query
    assert (query["author"], query["search"], query["filter"], query["limit"]) == (
        ["org1"], ["model"], ["transformers"], ["3"],
    )  # fmt: skip
    assert "pipeline_tag" not in query


def test_dry_run_writes_nothing(hub, data_dir):
    result = invoke("crawl", "--endpoint", hub.url, "--data-dir", str(data_dir), "--dry-run", *FAST)
    assert result.exit_code == 0, result.output
    assert "probe:       first page has 5 models, more pages follow" in result.output
    assert "dry run: nothing was written" in result.output
    assert list(data_dir.iterdir()) == []


@pytest.mark.parametrize(
    "fault, code, message",
    [
        (Fault("unauthorized"), 4, "HTTP 401"),
        (Fault("server_error", page=1, times=-1), 5, "did not answer"),
        (Fault("link_loop", page=1), 6, "Link loop"),
    ],
)
def test_crawl_failures_exit_with_their_code_and_no_traceback(hub, data_dir, fault, code, message):
    hub.faults.add(fault)
    result = invoke("crawl", "--endpoint", hub.url, "--data-dir", str(data_dir), *FAST)
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output


def test_suspect_snapshot_exits_8_and_accept_drop_exits_0(hub, data_dir):
    # Crawls within one second need no pause: each takes the next free second as its id.
    args = ["crawl", "--endpoint", hub.url, "--data-dir", str(data_dir), *FAST]
    assert invoke(*args).exit_code == 0
    hub.faults.add(Fault("drop_link", page=1))
    suspect = invoke(*args)
    assert suspect.exit_code == 8 and "marked 'suspect'" in suspect.output
    hub.store = HubStore.from_records(make_records()[:20])  # the Hub really lost models
    assert invoke(*args).exit_code == 8
    assert invoke(*args, "--accept-drop").exit_code == 0
    hub.faults.add(Fault("drop_link", page=1))  # a listing cut short is not a drop to accept
    assert invoke(*args, "--accept-drop").exit_code == 8


def test_contradictory_scope_is_a_usage_error(data_dir):
    result = invoke("crawl", "--all", "--pipeline-tag", "text-generation", "--data-dir", str(data_dir))
    assert result.exit_code == 1 and "--all and --pipeline-tag contradict each other" in result.output
    result = invoke("crawl", "--page-size", "5000", "--data-dir", str(data_dir))
    assert result.exit_code == 2 and "5000 is not in the range 1<=x<=1000" in result.output
    result = invoke("crawl", "--budget", "soon", "--data-dir", str(data_dir))
    assert result.exit_code == 1 and "'soon' is not a duration" in result.output


def test_import_and_history_commands(tmp_path, data_dir):
    dump = tmp_path / "dump.jsonl"
    dump.write_text('{"id": "a/one", "downloads": 7, "likes": 2}\n')
    result = invoke("import", str(dump), "--as-of", "2026-07-26", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "imported snapshot 20260726T000000Z: 1 models, 0 rejected, 0 duplicates" in result.output

    history = invoke("history", "a/one", "--csv", "--data-dir", str(data_dir))
    assert history.exit_code == 0
    assert history.output == "snapshot_id,date,downloads,likes\n20260726T000000Z,2026-07-26 00:00:00+00:00,7,2\n"
    missing = invoke("history", "b/none", "--data-dir", str(data_dir))
    assert missing.exit_code == 1 and "'b/none' is in none of the 1 snapshots" in missing.output


def test_history_diff_lists_appeared_and_disappeared(tmp_path, data_dir):
    for day, ids in (("2026-07-25", ["a/one", "b/two"]), ("2026-07-26", ["a/one", "c/three", "d/four"])):
        dump = tmp_path / f"{day}.jsonl"
        dump.write_text("".join(f'{{"id": "{i}"}}\n' for i in ids))
        assert invoke("import", str(dump), "--as-of", day, "--data-dir", str(data_dir)).exit_code == 0
    result = invoke("history", "--diff", "20260725T000000Z", "20260726T000000Z", "--show", "1",
                    "--data-dir", str(data_dir))  # fmt: skip
    assert result.exit_code == 0
    assert result.output == "appeared: 2\n  c/three\n  ... and 1 more\ndisappeared: 1\n  b/two\n"
