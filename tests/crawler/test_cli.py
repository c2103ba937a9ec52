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


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--timeout", "nan", "--timeout"),
        ("--timeout", "inf", "--timeout"),
        ("--timeout", "-1", "--timeout"),
        ("--max-drop", "nan", "--max-drop"),
        ("--retries", "-1", "--retries"),
        ("--page-size", "0", "--page-size"),
    ],
)
def test_nonsense_numbers_are_usage_errors_naming_the_option(hub, data_dir, option, value, says):  # issue #11
    result = CliRunner().invoke(main, ["crawl", "--endpoint", hub.url, "--data-dir", str(data_dir), option, value])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    assert hub.model_requests == []  # refused before asking the Hub anything
    assert not (data_dir / "snapshots").exists()


@pytest.mark.parametrize("endpoint", ["http://[::1", "ftp://example.org", "not a url"])
def test_a_malformed_endpoint_is_one_line_naming_the_option(data_dir, endpoint):  # issue #11
    result = CliRunner().invoke(main, ["crawl", "--endpoint", endpoint, "--data-dir", str(data_dir), "--no-progress"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "--endpoint" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_status_tells_a_crawl_that_failed_before_its_first_page(hub, data_dir):  # issue #11
    hub.faults.add(Fault("unauthorized", page=0))
    failed = invoke("crawl", "--endpoint", hub.url, "--data-dir", str(data_dir), *FAST)
    assert failed.exit_code == 4, failed.output

    status = CliRunner().invoke(main, ["status", "--data-dir", str(data_dir)])
    assert status.exit_code == 10  # no atlas yet
    attempt = [line for line in status.output.splitlines() if line.startswith("last attempt:")]
    assert len(attempt) == 1 and "HubAuthError (exit 4)" in attempt[0], status.output

    ok = invoke("crawl", "--endpoint", hub.url, "--data-dir", str(data_dir), *FAST)
    assert ok.exit_code == 0, ok.output
    status = CliRunner().invoke(main, ["status", "--data-dir", str(data_dir)])
    assert "last attempt:" not in status.output  # the newest attempt published: nothing to warn about
