"""A crawl against the fake Hub over real HTTP with the real huggingface_hub client: scope, rows,
manifest, limit, dry run, staleness of checkpoints, the lock."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

import constellation
from constellation.contract import SNAPSHOT_COLUMNS, DataLayout
from constellation.errors import CrawlLocked
from crawler.checkpoint import Checkpoint, Staging
from crawler.run import crawl, plan
from crawler.scope import EXPAND_FIELDS, Scope, scope_key
from tests.crawler.conftest import PAGE_SIZE, snapshot_rows, text_generation_ids


def test_crawl_publishes_every_model_of_the_scope(hub, layout, records, settings):
    result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)

    expected = text_generation_ids(records)
    rows = snapshot_rows(layout, result.snapshot_id)
    assert [r["id"] for r in rows] == expected
    assert layout.snapshot_ids() == [result.snapshot_id]
    assert not (layout.staging / "checkpoint.json").exists()
    assert list(layout.staging.glob("pages/*")) == []

    m = json.loads(layout.manifest(result.snapshot_id).read_text())
    pages = -(-len(expected) // PAGE_SIZE)
    assert m["status"] == "ok" and result.status == "ok"
    assert m["counts"] == {
        "seen": len(expected),
        "stored": len(expected),
        "rejected": 0,
        "duplicates": 0,
        "rejected_lineage": 2,
        "fixed_values": 0,
    }
    assert m["pages"] == pages and m["requests"] == pages + 1  # + the completeness probe
    assert m["retries"] == {}
    assert m["scope"] == {
        "pipeline_tag": "text-generation",
        "author": None,
        "search": None,
        "filters": [],
        "limit": None,
    }
    assert m["endpoint"] == hub.url
    assert m["client"]["huggingface_hub"].startswith("2.")
    assert m["synthetic"] is False
    assert m["scope_key"] == scope_key(Scope(), hub.url)
    assert m["snapshot_id"] == result.snapshot_id
    assert set(m) >= {"started_at", "finished_at", "duration_s", "rejected", "rejected_lineage", "drop_check"}

    # The query: page size, only the needed fields, no full=True.
    first = hub.model_requests[0].query
    assert first["pipeline_tag"] == ["text-generation"]
    assert first["limit"] == [str(PAGE_SIZE)]
    assert tuple(first["expand"]) == EXPAND_FIELDS
    assert "full" not in first


def test_rows_follow_the_data_contract(hub, layout, settings):
    result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    rows = {r["id"]: r for r in snapshot_rows(layout, result.snapshot_id)}
    assert tuple(pq.read_schema(layout.snapshot(result.snapshot_id)).names) == SNAPSHOT_COLUMNS

    first = rows["org0/model-000"]
    assert first["author"] == "org0" and first["name"] == "model-000"
    assert (first["downloads"], first["downloads_all_time"], first["likes"]) == (470, 4700, 0)
    assert first["trending_score"] == 47.0
    assert first["created_at"] == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert first["license"] == "mit" and first["gated"] == "false"
    assert (first["params_safetensors"], first["params_gguf"]) == (1000, 2000)
    assert first["base_models"] == []

    legacy = rows["gpt2"]
    assert (legacy["author"], legacy["name"]) == (None, "gpt2")
    assert legacy["params_safetensors"] == 3 * 1000 + 1000 and legacy["params_gguf"] is None

    assert rows["org1/model-001"]["gated"] == "manual"
    assert rows["org1/model-001"]["params_safetensors"] is None  # missing stays null, never 0
    assert rows["org1/model-005"]["license"] == "llama2"  # from cardData: no license tag
    assert rows["org1/model-005"]["base_models"] == [{"id": "org1/model-001", "relation": None}]
    assert rows["org2/model-006"]["base_models"] == [
        {"id": "org1/model-001", "relation": "merge"},
        {"id": "org2/model-002", "relation": "merge"},
    ]
    assert rows["org3/model-007"]["base_models"] == []
    assert rows["org0/model-008"]["base_models"] == []
    assert rows["org2/model-010"]["base_models"] == [{"id": "org0/model-000", "relation": "finetune"}]

    manifest = json.loads(layout.manifest(result.snapshot_id).read_text())
    assert manifest["rejected_lineage"] == [
        {
            "id": "org3/model-007",
            "value": "https://huggingface.co/org1/model-001",
            "reason": "cardData.base_model is a URL, not a model id",
        },
        {
            "id": "org0/model-008",
            "value": "base_model:org0/model-008",
            "reason": "names the model itself as its base model",
        },
    ]


def test_scope_options_pass_through_to_the_hub(hub, layout, records, settings):
    scope = Scope(pipeline_tag=None, author="org2", search="model-0", filters=("safetensors", "license:mit"))
    result = crawl(layout, scope, endpoint=hub.url, settings=settings, progress=False)

    query = hub.model_requests[0].query
    assert query["author"] == ["org2"] and query["search"] == ["model-0"]
    assert query["filter"] == ["safetensors", "license:mit"]
    assert "pipeline_tag" not in query
    expected = sorted(
        (r for r in records if r["id"].startswith("org2/model-0") and "license:mit" in r["tags"]),
        key=lambda r: -r["trendingScore"],
    )
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == [r["id"] for r in expected]


def test_limit_stops_after_n_models(hub, layout, records, settings):
    result = crawl(layout, Scope(limit=12), endpoint=hub.url, settings=settings, progress=False)
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)[:12]
    assert result.manifest["pages"] == 3
    assert len(hub.model_requests) == 3


def test_limit_smaller_than_a_page_asks_for_a_smaller_page(hub, layout, settings):
    crawl(layout, Scope(limit=2), endpoint=hub.url, settings=settings, progress=False)
    assert hub.model_requests[0].query["limit"] == ["2"]
    assert len(hub.model_requests) == 1


def test_synthetic_source_is_recorded(layout, records, settings):
    from fakehub.server import FakeHub

    with FakeHub(records, page_size=PAGE_SIZE, synthetic=True) as fake:
        result = crawl(layout, Scope(), endpoint=fake.url, settings=settings, progress=False)
    assert result.manifest["synthetic"] is True


def test_dry_run_fetches_one_page_and_writes_nothing(hub, layout, settings):
    report = plan(layout, Scope(), endpoint=hub.url, settings=settings)
    assert report.first_page_models == PAGE_SIZE and report.first_page_has_next
    assert report.authenticated is False
    assert report.checkpoint == "none: a new crawl would start"
    assert report.previous_snapshot is None
    assert len(hub.model_requests) == 1
    assert not layout.root.joinpath("snapshots").exists()


def _old_checkpoint(layout: DataLayout, scope: Scope, endpoint: str, age: timedelta) -> Checkpoint:
    """A checkpoint of a crawl that started `age` ago and staged one page."""
    staging = Staging(layout)
    cp = Checkpoint(
        snapshot_id="20200101T000000Z", scope=scope.to_dict(), scope_key=scope_key(scope, endpoint),
        endpoint=endpoint, started_at=(datetime.now(UTC) - age).isoformat(),
        next_url=f"{endpoint}/api/models?cursor=zzz", pages=1,
    )  # fmt: skip
    staging.save(cp)
    return cp


def test_a_checkpoint_of_another_scope_is_discarded_with_a_log_line(hub, layout, records, settings, caplog):
    _old_checkpoint(layout, Scope(author="someone"), hub.url, timedelta(minutes=1))
    with caplog.at_level(logging.WARNING, logger="crawler.run"):
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert (
        "discarding the checkpoint of crawl 20200101T000000Z: "
        "it was for pipeline_tag=text-generation, author=someone at " in caplog.text
    )
    assert result.snapshot_id != "20200101T000000Z"
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


def test_a_stale_checkpoint_is_discarded_with_a_log_line(hub, layout, records, settings, caplog):
    _old_checkpoint(layout, Scope(), hub.url, timedelta(hours=13))
    with caplog.at_level(logging.WARNING, logger="crawler.run"):
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert (
        "discarding the checkpoint of crawl 20200101T000000Z: it started 13.0 h ago (more than 12.0 h)" in caplog.text
    )
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


def test_a_second_crawl_on_the_same_data_dir_is_refused(hub, layout, settings):
    with Staging(layout).locked(), pytest.raises(CrawlLocked, match="another crawl") as info:
        crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert info.value.exit_code == 3


def test_two_crawls_in_the_same_second_get_distinct_ids(hub, layout, settings):
    moment = datetime(2026, 7, 26, 2, 15, tzinfo=UTC)
    a = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False, now=moment)
    b = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False, now=moment)
    assert (a.snapshot_id, b.snapshot_id) == ("20260726T021500Z", "20260726T021501Z")
    assert b.manifest["drop_check"]["previous_snapshot"] == "20260726T021500Z"


def test_a_checkpoint_whose_pages_are_gone_is_discarded(hub, layout, records, settings, caplog):
    _old_checkpoint(layout, Scope(), hub.url, timedelta(minutes=1))  # counts 1 page, none on disk
    with caplog.at_level(logging.WARNING, logger="crawler.run"):
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert "1 of its 1 staged pages are missing (e.g. part-000000.parquet)" in caplog.text
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


def test_the_user_agent_names_constellation(hub, layout, settings, request_headers):
    crawl(layout, Scope(limit=3), endpoint=hub.url, settings=settings, progress=False)
    agents = [h.get("user-agent", "") for h in request_headers]
    assert agents and agents[0].startswith(f"constellation/{constellation.__version__}; hf_hub/2.")


def test_a_write_failure_is_a_storage_error_with_the_checkpoint_kept(hub, layout, settings):
    from constellation.errors import StorageError

    layout.staging.mkdir(parents=True)
    (layout.staging / "pages").write_text("a file where the pages folder should be")
    with pytest.raises(StorageError, match="writing page 0 failed: File exists") as info:
        crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert info.value.exit_code == 9
    assert Staging(layout).load().pages == 0


def test_ids_that_differ_only_in_case_are_two_models_and_keep_their_own_children(layout, settings):
    """A listing can hold `Org/Model` and `org/model`: the crawl keeps both, and a child's declared parent
    is the exact id, not whichever spelling came first."""
    from constellation.genealogy.declared import declared_lineage
    from fakehub.server import FakeHub

    base = {"pipeline_tag": "text-generation", "createdAt": "2024-01-01T00:00:00.000Z"}
    records = [
        {**base, "_id": f"{1:024x}", "id": "Org/Model", "trendingScore": 4, "tags": []},
        {**base, "_id": f"{2:024x}", "id": "org/model", "trendingScore": 3, "tags": []},
        {**base, "_id": f"{3:024x}", "id": "a/child", "trendingScore": 2, "tags": ["base_model:finetune:org/model"]},
        {**base, "_id": f"{4:024x}", "id": "b/child", "trendingScore": 1, "cardData": {"base_model": "Org/Model"}},
    ]
    with FakeHub(records, page_size=PAGE_SIZE) as hub:
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert result.manifest["counts"]["duplicates"] == 0
    snapshot = pq.read_table(layout.snapshot(result.snapshot_id)).to_pandas()
    assert snapshot["id"].tolist() == ["Org/Model", "org/model", "a/child", "b/child"]
    lineage = declared_lineage(snapshot)
    assert lineage.columns["parent"].fillna("-").tolist() == ["-", "-", "org/model", "Org/Model"]
