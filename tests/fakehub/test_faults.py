"""Every fault kind, and the real huggingface_hub 2.4 client's reaction that ../shared/docs/hub-api.md
records for it in its failure table (b/c). Row numbers refer to that table.

The client's backoff sleeps (1, 2, 4, 8, 8 s) are stubbed by `backoff_sleeps` where they would be long;
the server's own delays stay real.
"""

from __future__ import annotations

import json
import math
import threading
import time
from itertools import islice

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import build_hf_headers, get_session, http_backoff

from constellation.errors import FakeHubError
from fakehub.faults import Fault, FaultPlan, parse_fault_spec
from fakehub.server import FakeHub
from tests.fakehub.conftest import N_MODELS, PAGE_SIZE, expected_order


def listing(hub: FakeHub, **kwargs):
    return HfApi(endpoint=hub.url).list_models(**kwargs)


def items_before(exception: type[BaseException], models) -> list[str]:
    """The ids the client yielded before raising `exception` (which it must raise)."""
    seen: list[str] = []
    with pytest.raises(exception) as raised:
        for model in models:
            seen.append(model.id)
    items_before.raised = raised.value  # type: ignore[attr-defined]
    return seen


# --------------------------------------------------------------------------------------------------
# The "Done when" of the issue


def test_real_client_lists_all_models_across_pages_with_faults_on(records):
    """Real backoff sleeps: each of the three retried faults costs the client one second."""
    faults = [
        Fault("slow", page=0, seconds=0.2),
        Fault("rate_limit_retry_after", page=1, seconds=0),
        Fault("server_error", page=2, status=503),
        Fault("truncated_body", page=3),
        Fault("empty_pages_with_next", page=3, pages=2),
        Fault("extra_link_rel", page=4),
    ]
    with FakeHub(records, page_size=PAGE_SIZE, faults=faults) as hub:
        models = [m.id for m in listing(hub)]

    assert models == expected_order(records, "trendingScore")
    assert len(set(models)) == N_MODELS
    log = [(r.page, r.status, r.fault) for r in hub.model_requests]
    assert log == [
        (0, 200, "slow"),
        (1, 429, "rate_limit_retry_after"),
        (1, 200, None),
        (2, 503, "server_error"),
        (2, 200, None),
        (3, 200, "truncated_body"),
        (3, 200, "empty_pages_with_next"),
        (3, 200, "empty_pages_with_next"),
        (3, 200, None),
        (4, 200, "extra_link_rel"),
    ]
    assert len(hub.faults) == 0


# --------------------------------------------------------------------------------------------------
# Rows 1-8: rate limits and server errors, retried by http_backoff


@pytest.mark.parametrize(
    ("fault", "sleeps"),
    [
        (Fault("rate_limit_retry_after", page=1, times=2, seconds=3), [4.0, 4.0]),  # row 1
        (Fault("rate_limit_header", page=1, seconds=7), [8.0]),  # row 2
        (Fault("rate_limit_not_exhausted", page=1, seconds=2), [3.0]),  # row 3
        (Fault("rate_limit_http_date", page=1, seconds=30), [1]),  # row 4
        (Fault("server_error", page=1, times=5), [1, 2, 4, 8, 8]),  # row 6
        (Fault("server_error", page=1, status=502), [1]),  # row 8
        (Fault("server_error", page=1, status=503, retry_after=2), [3.0]),
        (Fault("server_error", page=1, status=504), [1]),
        (Fault("server_error", page=1, status=408), [1]),
        (Fault("truncated_body", page=1), [1]),  # row 9: RemoteProtocolError, retried
    ],
    ids=lambda v: v.describe() if isinstance(v, Fault) else None,
)
def test_retried_faults_cost_the_documented_waits_and_lose_nothing(records, backoff_sleeps, fault, sleeps):
    with FakeHub(records, page_size=PAGE_SIZE, faults=[fault]) as hub:
        models = [m.id for m in listing(hub)]

    assert models == expected_order(records, "trendingScore")
    assert backoff_sleeps.sleeps == sleeps
    assert [r.fault for r in hub.model_requests].count(fault.kind) == len(sleeps)


def test_rate_limit_headers_are_the_ietf_draft_shapes(records):
    plan = FaultPlan(
        [
            Fault("rate_limit_header", request=0, seconds=7),
            Fault("rate_limit_not_exhausted", request=1, seconds=2),
            Fault("rate_limit_http_date", request=2, seconds=60),
            Fault("server_error", request=3, status=502),
        ]
    )
    with FakeHub(records, faults=plan) as hub:
        answers = [get_session().get(hub.url + "/api/models") for _ in range(4)]

    assert [a.status_code for a in answers] == [429, 429, 429, 502]
    assert answers[0].headers["ratelimit"] == '"api";r=0;t=7' and "retry-after" not in answers[0].headers
    assert answers[1].headers["ratelimit"] == '"api";r=5;t=2' and answers[1].headers["retry-after"] == "2"
    assert answers[2].headers["retry-after"].endswith(" GMT")
    assert answers[3].headers["content-type"] == "text/html" and b"502 Bad Gateway" in answers[3].content


def test_429_without_usable_wait_is_retried_five_times_then_raised(records, backoff_sleeps):  # row 5
    fault = Fault("rate_limit_http_date", page=0, times=6)
    with FakeHub(records, faults=[fault]) as hub, pytest.raises(HfHubHTTPError, match="429") as raised:
        list(listing(hub))

    assert backoff_sleeps.sleeps == [1, 2, 4, 8, 8]
    assert raised.value.response.status_code == 429
    assert "We had to rate limit your IP" in str(raised.value)


def test_500_six_times_is_raised_with_the_servers_message(records, backoff_sleeps):  # row 7
    with (
        FakeHub(records, faults=[Fault("server_error", times=-1)]) as hub,
        pytest.raises(HfHubHTTPError, match="Internal Error"),
    ):
        list(listing(hub))

    assert len(hub.model_requests) == 6
    assert backoff_sleeps.sleeps == [1, 2, 4, 8, 8]


# --------------------------------------------------------------------------------------------------
# Rows 10-12: bodies the client cannot parse; earlier pages are already yielded


def test_malformed_json_raises_json_decode_error_after_earlier_pages(hub, records):  # row 10
    hub.faults.add(Fault("malformed_json", page=1))

    seen = items_before(json.JSONDecodeError, listing(hub))

    assert seen == expected_order(records, "trendingScore")[:PAGE_SIZE]
    assert len(hub.model_requests) == 2  # not retried


def test_json_object_instead_of_array_raises_type_error(hub):  # row 11
    hub.faults.add(Fault("json_object", page=0))

    assert items_before(TypeError, listing(hub)) == []
    assert isinstance(get_session().get(hub.url + "/api/models").json(), list)  # fired once


@pytest.mark.parametrize(
    ("which", "exception", "message"),
    [
        ("no_id", KeyError, "'id'"),
        ("safetensors_no_total", KeyError, "'total'"),
        ("bad_date", ValueError, "yesterday"),
        ("not_dict", TypeError, ""),
    ],
)
def test_malformed_items_kill_the_iteration_mid_page(hub, which, exception, message):  # row 12
    hub.faults.add(Fault("malformed_items", page=1, which=which, item=2))

    seen = items_before(exception, listing(hub))

    assert len(seen) == PAGE_SIZE + 2
    assert message in str(items_before.raised)  # type: ignore[attr-defined]


def test_malformed_items_leave_the_other_items_of_the_page_valid(hub, records):
    hub.faults.add(Fault("malformed_items", page=0, which="all", item=1))
    page = get_session().get(hub.url + "/api/models", params={"expand": ["createdAt", "safetensors"]}).json()

    assert "id" not in page[1]
    assert page[2]["safetensors"] == {"parameters": {"BF16": page[2]["safetensors"]["parameters"]["BF16"]}}
    assert page[3]["createdAt"] == "yesterday"
    assert page[4] == "not a model"
    assert [m["id"] for m in (page[0],)] == expected_order(records, "trendingScore")[:1]


def test_unstorable_values_are_served_as_valid_json_the_client_decodes(hub, records):  # row 12b
    hub.faults.add(Fault("unstorable_values", page=0, which="all", item=1))
    expand = ["tags", "cardData", "downloads", "downloadsAllTime", "likes", "trendingScore", "safetensors",
              "library_name", "pipeline_tag", "gated"]  # fmt: skip
    response = get_session().get(hub.url + "/api/models", params={"limit": 10, "expand": expand})
    assert b"\\ud800" in response.content and b"NaN" in response.content  # JSON escapes, as the Hub would send
    page = response.json()

    assert page[0]["id"] == expected_order(records, "trendingScore")[0]  # item 0 untouched
    assert page[1]["tags"][-1] == "odd-\ud800-tag"
    assert page[2]["cardData"]["license"] == "mit-\udfff" and not any(t.startswith("license:") for t in page[2]["tags"])
    assert (page[3]["downloads"], page[3]["likes"], page[3]["safetensors"]["total"]) == (2**63, 2**64, 10**30)
    assert math.isnan(page[4]["trendingScore"]) and page[4]["downloadsAllTime"] == math.inf
    assert page[5]["library_name"] == "trans\x00formers"
    assert len(page[6]["pipeline_tag"]) == 100_000
    assert page[7]["gated"] == {"mode": "manual"}
    assert page[8]["id"] == expected_order(records, "trendingScore")[8] + "\ud800"


def test_one_unstorable_value_kind_hits_one_item(hub, records):
    hub.faults.add(Fault("unstorable_values", page=0, which="huge_int", item=2))
    page = get_session().get(hub.url + "/api/models", params={"expand": ["downloads"]}).json()
    assert [m["downloads"] == 2**63 for m in page] == [i == 2 for i in range(len(page))]


# --------------------------------------------------------------------------------------------------
# Row 13: slow answers; only the documented timeout workaround stops the wait


def test_slow_answer_times_out_with_http_backoff_timeout_then_the_retry_succeeds(hub, backoff_sleeps):
    hub.faults.add(Fault("slow", page=0, seconds=1.0))
    url = hub.url + "/api/models"

    response = http_backoff("GET", url, headers=build_hf_headers(), timeout=0.2)

    assert response.status_code == 200 and len(response.json()) == PAGE_SIZE
    assert backoff_sleeps.sleeps == [1]  # one ReadTimeout, retried
    assert hub.faults.fired == [(0, "slow")]


def test_slow_answer_without_retries_raises_read_timeout(hub):
    hub.faults.add(Fault("slow", page=0, seconds=1.0))

    with pytest.raises(httpx2.ReadTimeout):
        http_backoff("GET", hub.url + "/api/models", timeout=0.2, max_retries=0)


def test_trickled_body_arrives_whole_but_slowly_and_trips_a_read_timeout(hub):
    hub.faults.add(Fault("slow", page=0, times=2, seconds=0.8, trickle=True))
    url = hub.url + "/api/models"

    started = time.monotonic()
    whole = get_session().get(url)
    elapsed = time.monotonic() - started
    with pytest.raises(httpx2.ReadTimeout):
        http_backoff("GET", url, timeout=0.05, max_retries=0)

    assert len(whole.json()) == PAGE_SIZE
    assert elapsed >= 0.7


def test_trickle_body_never_trips_a_read_timeout_however_long_it_takes(hub):  # issue #11
    # Many tiny gaps (5 ms) far below the read timeout (1.5 s): a loaded machine may delay one gap by tens of
    # milliseconds, never by the timeout, while the whole body still takes longer than the timeout.
    size = len(http_backoff("GET", hub.url + "/api/models", max_retries=0).content)
    hub.faults.add(Fault("trickle_body", page=0, interval=0.005, bytes=max(1, size // 400)))
    started = time.monotonic()
    whole = http_backoff("GET", hub.url + "/api/models", timeout=1.5, max_retries=0)
    assert len(whole.json()) == PAGE_SIZE
    assert time.monotonic() - started >= 1.5  # longer than the read timeout, yet no ReadTimeout


@pytest.mark.parametrize("declare", [False, True])
def test_endless_body_keeps_coming_with_no_length_or_a_false_one(hub, declare):  # issue #11
    hub.faults.add(Fault("endless_body", page=0, declare_length=declare))
    with get_session().stream("GET", hub.url + "/api/models") as response:
        assert response.headers.get("content-length") == ("1000000000000" if declare else None)
        received = 0
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > 4 * 1024 * 1024:
                break
    assert received > 4 * 1024 * 1024


def test_compression_bomb_is_a_small_gzip_body_the_client_inflates_whole(hub):  # issue #11
    hub.faults.add(Fault("compression_bomb", page=0, inflates_to=4 * 1024 * 1024))
    response = http_backoff("GET", hub.url + "/api/models", max_retries=0)
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < 64 * 1024  # what travels
    assert len(response.content) == 4 * 1024 * 1024  # what the client holds: the library inflates it all
    assert len(response.json()) == PAGE_SIZE  # still the page's own items


def test_compression_bomb_size_must_be_a_positive_integer():
    with pytest.raises(FakeHubError, match="inflates_to must be an integer >= 1"):
        Fault("compression_bomb", inflates_to=0)


def test_repeat_ids_serves_the_same_items_under_new_cursors(hub, records):  # issue #11
    hub.faults.add(Fault("repeat_ids", page=1, times=3))
    seen = [m.id for m in islice(listing(hub), 5 * PAGE_SIZE)]
    second_page = expected_order(records, "trendingScore")[PAGE_SIZE : 2 * PAGE_SIZE]
    assert seen[PAGE_SIZE : 5 * PAGE_SIZE] == second_page * 4
    urls = {tuple(sorted((k, tuple(v)) for k, v in r.query.items())) for r in hub.model_requests[1:5]}
    assert len(urls) == 4  # a new next URL each time


# --------------------------------------------------------------------------------------------------
# Rows 14-20: links and cursors


def test_invalid_cursor_is_a_bad_request_after_the_first_page(hub):  # row 14
    hub.faults.add(Fault("invalid_cursor", page=1))

    seen = items_before(BadRequestError, listing(hub))

    assert len(seen) == PAGE_SIZE
    assert "Invalid cursor" in str(items_before.raised)  # type: ignore[attr-defined]
    assert len(hub.model_requests) == 2


def test_cursor_404_is_a_plain_http_error_not_repository_not_found(hub):  # row 15
    hub.faults.add(Fault("cursor_404", page=1))

    seen = items_before(HfHubHTTPError, listing(hub))

    assert len(seen) == PAGE_SIZE
    assert not isinstance(items_before.raised, RepositoryNotFoundError)  # type: ignore[attr-defined]
    assert items_before.raised.response.status_code == 404  # type: ignore[attr-defined]


def test_relative_link_breaks_the_client_after_the_first_page(hub):  # row 16
    hub.faults.add(Fault("relative_link", page=0))

    seen = items_before(httpx2.UnsupportedProtocol, listing(hub))

    assert len(seen) == PAGE_SIZE
    link = get_session().get(hub.url + "/api/models")  # the fault fired once
    assert link.links["next"]["url"].startswith("http://127.0.0.1:")


def test_foreign_link_is_followed_blindly_until_connect_error(hub, backoff_sleeps):  # row 17
    hub.faults.add(Fault("foreign_link", page=0))

    seen = items_before(httpx2.ConnectError, listing(hub))

    assert len(seen) == PAGE_SIZE
    assert backoff_sleeps.sleeps == [1, 2, 4, 8, 8]
    assert len(hub.model_requests) == 1


def test_foreign_link_points_at_the_given_host(hub):
    hub.faults.add(Fault("foreign_link", page=0, host="https://huggingface.co"))

    link = get_session().get(hub.url + "/api/models").links["next"]["url"]

    assert link.startswith("https://huggingface.co/api/models?sort=trendingScore&cursor=")


def test_link_loop_is_followed_forever(hub, records):  # row 18
    hub.faults.add(Fault("link_loop", page=1, times=-1))

    seen = [m.id for m in islice(listing(hub), 6 * PAGE_SIZE)]

    second_page = expected_order(records, "trendingScore")[PAGE_SIZE : 2 * PAGE_SIZE]
    assert seen[PAGE_SIZE:] == second_page * 5
    urls = {tuple(sorted((k, tuple(v)) for k, v in r.query.items())) for r in hub.model_requests[2:]}
    assert len(urls) == 1  # the same next URL, again and again


def test_empty_pages_with_next_are_followed_without_complaint(hub, records):  # row 18
    hub.faults.add(Fault("empty_pages_with_next", page=2, pages=25))

    models = [m.id for m in listing(hub)]

    assert models == expected_order(records, "trendingScore")
    empties = [r for r in hub.model_requests if r.fault == "empty_pages_with_next"]
    assert len(empties) == 25
    assert len({r.query["cursor"][0] for r in empties}) == 25  # each empty page links somewhere new


def test_drop_link_ends_the_listing_silently_with_a_partial_list(hub, records):  # row 19
    hub.faults.add(Fault("drop_link", page=2))

    models = [m.id for m in listing(hub)]

    assert models == expected_order(records, "trendingScore")[: 3 * PAGE_SIZE]


def test_extra_link_rel_is_handled(hub, records):  # row 20
    hub.faults.add(Fault("extra_link_rel", page=0))
    first = get_session().get(hub.url + "/api/models")
    hub.faults.add(Fault("extra_link_rel", times=-1))

    assert first.links["api-catalog"]["url"] == "/.well-known/api-catalog"
    assert first.links["next"]["url"].startswith(hub.url)
    assert [m.id for m in listing(hub)] == expected_order(records, "trendingScore")


# --------------------------------------------------------------------------------------------------
# Rows 21 and 23: server down, bad credentials


def test_server_down_is_connect_error_after_retries(hub, backoff_sleeps):  # row 21
    hub.stop()

    with pytest.raises(httpx2.ConnectError):
        list(HfApi(endpoint=f"http://127.0.0.1:{hub.port}").list_models())

    assert backoff_sleeps.sleeps == [1, 2, 4, 8, 8]


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [("unauthorized", 401, "Invalid credentials in Authorization header"), ("forbidden", 403, "403 Forbidden")],
)
def test_bad_credentials_raise_without_retry(hub, kind, status, message):  # row 23
    hub.faults.add(Fault(kind))

    with pytest.raises(HfHubHTTPError, match=message) as raised:
        list(listing(hub))

    assert raised.value.response.status_code == status
    assert len(hub.model_requests) == 1


# --------------------------------------------------------------------------------------------------
# The plan and the spec language


def test_a_page_fault_hits_every_retry_of_that_page_until_spent():
    plan = FaultPlan([Fault("server_error", page=2, times=3, status=503)])

    fired = [plan.take(i, page) for i, page in enumerate([0, 1, 2, 2, 2, 2, 3])]

    kinds = [f.kind if f else None for f in fired]
    assert kinds == [None, None, "server_error", "server_error", "server_error", None, None]
    assert len(plan) == 0
    assert plan.fired == [(2, "server_error"), (3, "server_error"), (4, "server_error")]


def test_a_request_fault_hits_that_request_only_and_untargeted_faults_hit_the_next():
    plan = FaultPlan([Fault("drop_link", request=3), Fault("forbidden", times=2)])

    fired = [plan.take(i, 0) for i in range(5)]

    assert [f.kind if f else None for f in fired] == ["forbidden", "forbidden", None, "drop_link", None]


def test_forever_faults_stay_pending():
    plan = FaultPlan([Fault("link_loop", times=-1)])

    assert all(plan.take(i, i).kind == "link_loop" for i in range(100))
    assert len(plan) == 1


def test_the_plan_is_consumed_exactly_once_under_concurrency():
    plan = FaultPlan([Fault("server_error", times=500)])
    hits: list[Fault | None] = []

    def worker() -> None:
        for i in range(200):
            hits.append(plan.take(i, 0))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(h is not None for h in hits) == 500
    assert len(plan) == 0


def test_faults_can_be_added_while_the_hub_runs(hub):
    assert get_session().get(hub.url + "/api/models").status_code == 200
    hub.faults.add(Fault("forbidden"))

    assert get_session().get(hub.url + "/api/models").status_code == 403
    assert get_session().get(hub.url + "/api/models").status_code == 200


@pytest.mark.parametrize(
    ("spec", "kind", "page", "times", "params"),
    [
        ("drop_link", "drop_link", None, 1, {}),
        ("drop_link@5", "drop_link", 5, 1, {}),
        ("server_error@2x3:status=503", "server_error", 2, 3, {"status": 503, "retry_after": None}),
        ("server_error:status=502,retry_after=2", "server_error", None, 1, {"status": 502, "retry_after": 2}),
        ("link_loop@1xinf", "link_loop", 1, -1, {}),
        ("extra_link_rel@3x2", "extra_link_rel", 3, 2, {}),
        ("slow:seconds=0.5,trickle=true", "slow", None, 1, {"seconds": 0.5, "trickle": True}),
        ("malformed_items:which=bad_date", "malformed_items", None, 1, {"which": "bad_date", "item": 0}),
        ("unstorable_values@1:item=3", "unstorable_values", 1, 1, {"which": "all", "item": 3}),
        ("foreign_link:host=http://example.org", "foreign_link", None, 1, {"host": "http://example.org"}),
    ],
)
def test_parse_fault_spec(spec, kind, page, times, params):
    fault = parse_fault_spec(spec)

    assert (fault.kind, fault.page, fault.request, fault.times, fault.params) == (kind, page, None, times, params)


def test_parse_fault_spec_reads_a_request_index_and_inverts_describe():
    fault = parse_fault_spec("server_error@2#7x3:status=503")

    assert (fault.page, fault.request, fault.times) == (2, 7, 3)
    assert fault.describe() == "server_error@2#7x3:status=503"
    assert parse_fault_spec(fault.describe()).params == fault.params


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("server_eror", "unknown fault kind 'server_eror'; choose one of: rate_limit_retry_after"),
        ("drop_link@two", "the page after '@' must be an integer >= 0, got 'two'"),
        ("server_error:status=418", "status must be one of (500, 502, 503, 504, 408), got 418"),
        ("drop_link:seconds=3", "fault 'drop_link' takes no parameter seconds; its parameters: none"),
        ("slow:seconds", "expected key=value after ':', got 'seconds'"),
        ("malformed_items:which=everything", "which must be one of no_id, safetensors_no_total, bad_date, not_dict"),
        ("unstorable_values:which=nan", "which must be one of surrogate_tag, surrogate_card, huge_int, not_finite"),
        ("unstorable_values:item=-1", "item must be an integer >= 0, got -1"),
        ("rate_limit_header:seconds=1.5", "seconds must be a whole number"),
        ("empty_pages_with_next:pages=0", "pages must be an integer >= 1, got 0"),
        ("foreign_link:host=example.org", "host must start with http:// or https://"),
    ],
)
def test_bad_fault_specs_are_refused_with_the_fix(spec, message):
    with pytest.raises(FakeHubError) as raised:
        parse_fault_spec(spec)

    assert message in str(raised.value)


def test_bad_times_is_refused():
    with pytest.raises(FakeHubError, match="times must be a positive integer or -1"):
        Fault("drop_link", times=0)
