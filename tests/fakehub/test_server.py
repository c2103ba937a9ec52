"""The fake Hub's GET /api/models (and neighbours) against the contract of ../shared/docs/hub-api.md,
driven by the real huggingface_hub client over HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, RepositoryNotFoundError
from huggingface_hub.utils import get_session

from constellation.errors import FakeHubError
from fakehub.faults import FAULT_KINDS, Fault
from fakehub.projections import DEFAULT_KEYS, FULL_KEYS
from fakehub.server import FakeHub
from tests.fakehub.conftest import N_MODELS, PAGE_SIZE, expected_order, make_records


def get(hub: FakeHub, path: str = "/api/models", params: Any = None):
    return get_session().get(hub.url + path, params=params)


# --------------------------------------------------------------------------------------------------
# Pagination


def test_real_client_lists_every_model_across_pages_in_hub_order(hub, records):
    models = list(HfApi(endpoint=hub.url).list_models())

    assert [m.id for m in models] == expected_order(records, "trendingScore")
    assert len({m.id for m in models}) == N_MODELS
    pages = hub.model_requests
    assert [r.page for r in pages] == [0, 1, 2, 3, 4]  # 23 models, 5 a page
    assert all(r.status == 200 and r.fault is None for r in pages)


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("trending_score", "trendingScore"),
        ("downloads", "downloads"),
        ("likes", "likes"),
        ("created_at", "createdAt"),
        ("last_modified", "lastModified"),
    ],
)
def test_each_sort_orders_by_key_descending_then_id(hub, records, sort, key):
    models = HfApi(endpoint=hub.url).list_models(sort=sort, expand=[key if key != "trendingScore" else "likes"])

    assert [m.id for m in models] == expected_order(records, key)


def test_link_is_absolute_echoes_every_parameter_and_adds_the_default_sort(hub):
    params = [("filter", "transformers"), ("filter", "safetensors"), ("expand", "likes"), ("expand", "tags")]
    first = get(hub, params=params)

    link = first.links["next"]["url"]
    assert link.startswith(hub.url + "/api/models?")
    echoed = parse_qsl(urlsplit(link).query)
    assert echoed[:-1] == [*params, ("sort", "trendingScore")]
    assert echoed[-1][0] == "cursor"
    second = get_session().get(link)
    assert second.status_code == 200
    assert parse_qsl(urlsplit(second.links["next"]["url"]).query)[:-1] == echoed[:-1]


def test_last_page_has_no_link_and_an_exact_multiple_ends_cleanly(records):
    with FakeHub(records[:20], page_size=5) as hub:
        models = list(HfApi(endpoint=hub.url).list_models())
        last = get_session().get(hub.url + "/api/models?limit=20")

    assert len(models) == 20
    assert "link" not in last.headers and len(last.json()) == 20
    # the 4th page ends exactly at the last model: no link to an empty 5th page
    assert [r.page for r in hub.model_requests if r.query.get("limit") != ["20"]] == [0, 1, 2, 3]


def test_limit_is_the_page_size_and_caps_the_listing(hub):
    models = list(HfApi(endpoint=hub.url).list_models(limit=7))

    assert len(models) == 7
    assert hub.model_requests[0].query["limit"] == ["7"]
    assert len(get(hub, params={"limit": 7}).json()) == 7


def test_limit_is_clamped_to_1000():
    with FakeHub(make_records(1100), page_size=10) as hub:
        page = get(hub, params={"limit": 5000})

    assert len(page.json()) == 1000


@pytest.mark.parametrize("limit", ["0", "-3", "ten"])
def test_a_limit_of_zero_or_less_is_a_bad_request(hub, limit):
    response = get(hub, params={"limit": limit})

    assert response.status_code == 400
    assert response.json() == {"error": "Invalid limit parameter"}


def test_unknown_sort_is_a_bad_request_that_the_client_does_not_retry(hub):
    with pytest.raises(BadRequestError, match="Invalid sort parameter"):
        list(HfApi(endpoint=hub.url).list_models(sort="download"))  # type: ignore[arg-type]

    assert len(hub.model_requests) == 1
    assert get(hub, params={"sort": "size"}).json() == {"error": "Invalid sort parameter"}


def test_garbled_cursor_or_a_cursor_of_another_sort_is_a_bad_request(hub):
    link = get(hub, params={"sort": "likes"}).links["next"]["url"]
    cursor = dict(parse_qsl(urlsplit(link).query))["cursor"]

    assert get(hub, params={"cursor": "not-a-cursor"}).json() == {"error": "Invalid cursor"}
    other_sort = get(hub, params={"sort": "downloads", "cursor": cursor})
    assert (other_sort.status_code, other_sort.json()) == (400, {"error": "Invalid cursor"})
    assert hub.model_requests[-2].page is None


def test_keyset_cursor_is_stable_when_pages_are_fetched_with_other_limits(hub, records):
    """The cursor is a position (sort value, _id), not an offset: any page size continues from it."""
    first = get(hub, params={"sort": "likes", "limit": 4})
    rest = get_session().get(first.links["next"]["url"].replace("limit=4", "limit=100"))

    ids = [m["id"] for m in first.json() + rest.json()]
    assert ids == expected_order(records, "likes")


# --------------------------------------------------------------------------------------------------
# Filters


def ids_of(models) -> list[str]:
    return sorted(m.id for m in models)


def expected(records, keep) -> list[str]:
    return sorted(r["id"] for r in records if keep(r))


def test_filter_tags_are_and_ed_whether_repeated_or_comma_separated(hub, records):
    api = HfApi(endpoint=hub.url)
    want = expected(records, lambda r: "license:mit" in r["tags"] and "group:1" in r["tags"])

    assert ids_of(api.list_models(filter=["license:mit", "group:1"])) == want
    assert sorted(m["id"] for m in get(hub, params={"filter": "license:mit,group:1", "limit": 100}).json()) == want
    assert len(want) == 4


def test_filter_finds_children_through_base_model_tags(hub):
    children = ids_of(HfApi(endpoint=hub.url).list_models(filter="base_model:finetune:org0/Model-00"))

    assert children == sorted(f"org{i % 3}/Model-{i:02d}" for i in range(12, N_MODELS))


def test_search_is_a_case_insensitive_substring_of_the_id(hub):
    api = HfApi(endpoint=hub.url)

    assert ids_of(api.list_models(search="ORG1/model-1")) == [
        "org1/Model-10", "org1/Model-13", "org1/Model-16", "org1/Model-19"
    ]  # fmt: skip
    assert ids_of(api.list_models(search="gpt")) == ["gpt2"]


def test_author_and_pipeline_tag_match_exactly(hub, records):
    api = HfApi(endpoint=hub.url)

    assert ids_of(api.list_models(author="org2")) == expected(records, lambda r: r["id"].startswith("org2/"))
    assert ids_of(api.list_models(author="org")) == []
    assert ids_of(api.list_models(pipeline_tag="text-classification")) == expected(
        records, lambda r: r["pipeline_tag"] == "text-classification"
    )


def test_gated_true_and_false_split_the_models(hub, records):
    api = HfApi(endpoint=hub.url)
    gated = expected(records, lambda r: r["gated"] in ("auto", "manual"))

    assert ids_of(api.list_models(gated=True)) == gated
    assert ids_of(api.list_models(gated=False)) == expected(records, lambda r: r["gated"] is False)
    assert len(gated) == 4
    assert sorted(m["id"] for m in get(hub, params={"gated": "True", "limit": 50}).json()) == gated
    assert get(hub, params={"gated": "maybe"}).status_code == 400


def test_filters_combine_and_paginate(hub, records):
    models = HfApi(endpoint=hub.url).list_models(filter="license:apache-2.0", author="org0", sort="downloads")

    want = [
        r["id"]
        for r in sorted(sorted(records, key=lambda r: r["_id"]), key=lambda r: r["downloads"], reverse=True)
        if "license:apache-2.0" in r["tags"] and r["id"].startswith("org0/")
    ]
    assert [m.id for m in models] == want
    assert len(want) == 4


def test_unsupported_filters_are_accepted(hub):
    response = get(hub, params={"apps": "ollama", "num_parameters": "min:6B", "direction": "-1", "limit": 50})

    assert response.status_code == 200 and len(response.json()) == N_MODELS


# --------------------------------------------------------------------------------------------------
# Projections


def test_default_projection_has_the_hubs_exact_keys(hub):
    items = get(hub, params={"limit": 50}).json()
    full_item = next(i for i in items if i["id"] == "org1/Model-01")

    assert list(full_item) == list(DEFAULT_KEYS)
    assert full_item["modelId"] == full_item["id"]
    assert full_item["createdAt"] == "2024-01-02T10:00:00.000Z"


def test_unknown_values_are_omitted_not_null(hub):
    items = {i["id"]: i for i in get(hub, params={"limit": 50, "full": "true"}).json()}

    assert "pipeline_tag" not in items["org2/Model-02"] and "library_name" not in items["org2/Model-02"]
    assert all(None not in item.values() for item in items.values())
    assert items["gpt2"]["author"] == "gpt2"


@pytest.mark.parametrize("flag", ["true", "True", "1"])
def test_full_adds_author_gated_last_modified_sha_and_siblings(hub, flag):
    item = get(hub, params={"full": flag, "limit": 1}).json()[0]

    assert list(item) == list(FULL_KEYS)
    assert item["siblings"] == [{"rfilename": ".gitattributes"}, {"rfilename": "config.json"}]


def test_card_data_and_config_add_their_key(hub):
    models = list(HfApi(endpoint=hub.url).list_models(cardData=True, fetch_config=True))
    raw = get(hub, params={"cardData": "true", "config": "true", "limit": 1}).json()[0]

    assert list(raw) == [*DEFAULT_KEYS, "cardData", "config"]
    assert models[0].card_data.license in ("mit", "apache-2.0")
    assert models[0].config == {"model_type": "llama", "architectures": ["LlamaForCausalLM"]}


def test_expand_returns_only_id_and_the_expanded_keys(hub):
    models = list(HfApi(endpoint=hub.url).list_models(expand=["downloads", "safetensors", "gated"]))
    raw = get(hub, params=[("expand", "downloads"), ("expand", "safetensors"), ("limit", 1)]).json()[0]

    assert list(raw) == ["_id", "id", "downloads", "safetensors"]
    assert len(models) == N_MODELS
    assert all(m.likes is None and m.safetensors.total > 0 for m in models)


def test_expand_brackets_form_is_accepted(hub):
    raw = get(hub, params=[("expand[]", "likes"), ("expand[]", "author"), ("limit", 1)]).json()[0]

    assert list(raw) == ["_id", "id", "likes", "author"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("size", "Invalid expand parameter: 'size' is not a model property"),
        ("baseModels", "Invalid expand parameter: 'baseModels' is not allowed when listing models"),
        ("childrenModelCount", "Invalid expand parameter: 'childrenModelCount' is not allowed when listing models"),
        ("usedStorage", "Invalid expand parameter: 'usedStorage' is not allowed when listing models"),
    ],
)
def test_expand_refuses_unknown_values_and_those_not_allowed_in_listings(hub, value, message):
    with pytest.raises(BadRequestError, match=re.escape(message)):
        list(HfApi(endpoint=hub.url).list_models(expand=[value]))  # type: ignore[list-item]


def test_every_response_carries_rate_limit_and_request_id_headers(hub):
    responses = [
        get(hub),
        get(hub, params={"sort": "nope"}),
        get(hub, "/api/nothing"),
        get(hub, "/api/agent-harnesses"),
        get(hub, "/api/models/org0/Model-00"),
    ]

    for response in responses:
        assert re.fullmatch(r'"api";r=\d+;t=\d+', response.headers["ratelimit"])
        assert response.headers["ratelimit-policy"] == '"fixed window";"api";q=100000;w=300'
        assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", response.headers["x-request-id"])
        assert "x-fake-hub-source" not in response.headers
    assert [r.status_code for r in responses] == [200, 400, 404, 200, 200]


def test_synthetic_hubs_say_so_in_every_response(records):
    with FakeHub(records, synthetic=True) as hub:
        assert get(hub).headers["x-fake-hub-source"] == "synthetic"
        assert get(hub, "/api/else").headers["x-fake-hub-source"] == "synthetic"


def test_rate_limit_is_counted_and_enforced_per_window(records):
    with FakeHub(records, ratelimit_quota=3, ratelimit_window=60) as hub:
        answers = [get(hub) for _ in range(4)]

    assert [a.headers["ratelimit"].split(";")[1] for a in answers] == ["r=2", "r=1", "r=0", "r=0"]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "We had to rate limit your IP (127.0.0.1)" in answers[3].json()["error"]


# --------------------------------------------------------------------------------------------------
# Other routes


def test_agent_harnesses_is_an_empty_registry_not_a_list(hub):
    assert get(hub, "/api/agent-harnesses").json() == {"standardEnvVars": [], "harnesses": {}}


@pytest.mark.parametrize("path", ["/", "/api/datasets", "/api/models/org0/Model-00/tree/main", "/api/spaces/x"])
def test_every_other_path_is_a_json_404(hub, path):
    response = get(hub, path)

    assert (response.status_code, response.json()) == (404, {"error": "Not Found"})


def test_model_info_returns_the_stored_model(hub):
    info = HfApi(endpoint=hub.url).model_info("org1/Model-04")

    assert (info.id, info.downloads_all_time, info.safetensors.total, info.sha) == (
        "org1/Model-04",
        104,
        5000,
        f"{4:040x}",
    )
    assert HfApi(endpoint=hub.url).model_info("gpt2").id == "gpt2"


def test_model_info_expands_base_models_and_children_from_the_tags(hub):
    api = HfApi(endpoint=hub.url)
    root = api.model_info("org0/Model-00", expand=["childrenModelCount", "downloads"])
    merge = get(hub, "/api/models/org2/Model-20", params=[("expand[]", "baseModels")]).json()
    quantized = api.model_info("org0/Model-21", expand=["baseModels"])

    assert root.children_model_count == {"finetune": 11}
    assert api.model_info("org0/Model-12", expand=["childrenModelCount"]).children_model_count == {"quantized": 1}
    assert merge == {
        "_id": f"{3:024x}",
        "id": "org2/Model-20",
        "baseModels": {
            "relation": "finetune",
            "models": [
                {"_id": f"{23:024x}", "id": "org0/Model-00"},
                {"_id": f"{22:024x}", "id": "org1/Model-01"},
                {"_id": f"{21:024x}", "id": "org2/Model-02"},
            ],
        },
    }
    assert quantized.base_models == {"relation": "finetune", "models": [
        {"_id": f"{23:024x}", "id": "org0/Model-00"}, {"_id": f"{11:024x}", "id": "org0/Model-12"},
    ]}  # fmt: skip


def test_model_info_of_an_unknown_repo_is_repository_not_found(hub):
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url).model_info("nobody/nothing")


# --------------------------------------------------------------------------------------------------
# Sources and lifecycle


def test_serves_a_jsonl_gz_file_and_normalises_dates(tmp_path: Path):
    lines = [
        {"modelId": "old/style", "lastModified": "2022-01-20T12:13:34.000Z", "tags": [], "downloads": 3},
        {"id": "new/style", "createdAt": "2025-01-29 08:35:53+00:00", "downloads": 5, "pipeline_tag": None},
    ]
    path = tmp_path / "models.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write("\n".join(json.dumps(line) for line in lines) + "\n\n")

    with FakeHub.from_jsonl(path) as hub:
        items = get(hub, params={"full": "true", "sort": "downloads"}).json()

    assert [i["id"] for i in items] == ["new/style", "old/style"]
    assert items[0]["createdAt"] == "2025-01-29T08:35:53.000Z"
    assert items[1]["lastModified"] == "2022-01-20T12:13:34.000Z"
    assert re.fullmatch(r"[0-9a-f]{24}", items[0]["_id"])  # made up, stable, when the source has none


def test_serves_a_dataframe_with_json_text_nested_columns(records):
    frame = pd.DataFrame(records)
    frame["cardData"] = [json.dumps(c) for c in frame["cardData"]]

    with FakeHub(frame, page_size=50) as hub:
        models = list(HfApi(endpoint=hub.url).list_models(cardData=True))

    assert {m.card_data.license for m in models} == {"mit", "apache-2.0"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"id": "a/b", "downloads": "many"}, "model 'a/b': downloads must be a number, got 'many'"),
        ({"id": "a/b", "createdAt": "yesterday"}, "model 'a/b': createdAt 'yesterday' is not a date"),
        ({"id": "a/b", "private": "no"}, "model 'a/b': private must be true or false, got 'no'"),
        ({"id": "org0/Model-00"}, "id 'org0/Model-00' appears more than once"),
        ({"likes": 3}, "has no usable 'id'"),
    ],
)
def test_bad_records_are_refused_with_the_culprit_named(records, bad, message):
    with pytest.raises(FakeHubError, match=re.escape(message)):
        FakeHub([*records, bad])


def test_bad_jsonl_line_is_refused_with_its_number(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": "a/b"}\n{"id": \n')

    with pytest.raises(FakeHubError, match="line 2 is not JSON"):
        FakeHub.from_jsonl(path)


def test_stop_refuses_connections_and_start_serves_again_on_the_same_port(records):
    hub = FakeHub(records).start()
    url = hub.url
    hub.stop()
    with pytest.raises(Exception, match="onnect"):
        get_session().get(url + "/api/models")
    hub.start()
    try:
        assert hub.url == url
        assert len(get_session().get(url + "/api/models").json()) == N_MODELS
    finally:
        hub.stop()


def test_wait_requests_returns_the_log_or_times_out(hub):
    get(hub, params={"limit": 2})

    log = hub.wait_requests(1, timeout=1)
    assert (log[0].path, log[0].query, log[0].status, log[0].page) == ("/api/models", {"limit": ["2"]}, 200, 0)
    with pytest.raises(TimeoutError):
        hub.wait_requests(2, timeout=0.05)


def test_page_size_out_of_range_is_refused(records):
    with pytest.raises(FakeHubError, match="page_size must be an integer from 1 to 1000"):
        FakeHub(records, page_size=0)


def test_synthetic_hub_serves_the_generator_and_says_so():
    with FakeHub.synthetic(30, seed=1, page_size=7) as hub:
        models = list(HfApi(endpoint=hub.url).list_models())
        response = get(hub)

    assert hub.synthetic is True
    assert len({m.id for m in models}) == 30
    assert response.headers["x-fake-hub-source"] == "synthetic"


def test_a_frame_marked_synthetic_is_served_as_synthetic(records):
    frame = pd.DataFrame(records)
    frame.attrs["synthetic"] = True

    with FakeHub(frame) as hub:
        assert get(hub).headers["x-fake-hub-source"] == "synthetic"


def test_model_info_at_a_revision_and_head_requests(hub):
    assert get(hub, "/api/models/org1/Model-04/revision/main").json()["id"] == "org1/Model-04"
    head = get_session().head(hub.url + "/api/models")

    assert head.status_code == 404 and head.content == b""
    assert get(hub).status_code == 200  # the connection survived the bodiless answer


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_serves_a_frame_read_back_from_parquet(tmp_path, records, backend):
    """Parquet gives list columns as numpy arrays, or as Arrow lists with dtype_backend="pyarrow"."""
    columns = ["_id", "id", "likes", "trendingScore", "downloads", "tags", "pipeline_tag", "createdAt", "gated"]
    frame = pd.DataFrame(records)[columns].astype({"gated": str})
    frame.to_parquet(tmp_path / "hub.parquet")
    served = pd.read_parquet(tmp_path / "hub.parquet", dtype_backend=backend)

    with FakeHub(served, page_size=4) as hub:
        models = list(HfApi(endpoint=hub.url).list_models(filter=["license:mit", "group:1"]))
        first = get(hub, params={"limit": 1}).json()[0]

    assert sorted(m.id for m in models) == expected(
        records, lambda r: "license:mit" in r["tags"] and "group:1" in r["tags"]
    )
    assert first["tags"] == next(r["tags"] for r in records if r["id"] == first["id"])


def test_fractional_trending_scores_sort_and_page_exactly(records):
    for i, record in enumerate(records):
        record["trendingScore"] = 0.2 if i % 2 else i  # the Hub's cursors have carried 0.2
    with FakeHub(records, page_size=3) as hub:
        models = list(HfApi(endpoint=hub.url).list_models(expand=["trendingScore"]))
        raw = get(hub, params={"limit": 50}).json()

    assert [m.id for m in models] == expected_order(records, "trendingScore")
    assert {type(i["trendingScore"]) for i in raw} == {int, float}
    assert sorted({i["trendingScore"] for i in raw if isinstance(i["trendingScore"], float)}) == [0.2]


def test_models_without_the_sort_key_come_last_by_id_across_pages(records):
    for record in records[::3]:
        del record["likes"]
    with FakeHub(records, page_size=4) as hub:
        models = [m.id for m in HfApi(endpoint=hub.url).list_models(sort="likes")]

    with_likes = [r for r in records if "likes" in r]
    without = sorted((r for r in records if "likes" not in r), key=lambda r: r["_id"])
    assert models == expected_order(with_likes, "likes") + [r["id"] for r in without]


# --------------------------------------------------------------------------------------------------
# Connections: HTTP/1.1 keep-alive. Every answer either leaves the connection usable (the request body
# was read whole) or says `Connection: close` and closes; only truncated_body breaks it unannounced.


def exchange(sock: socket.socket, request: bytes) -> tuple[http.client.HTTPResponse, bytes]:
    """Sends raw request bytes on `sock` and reads the whole answer; the socket stays open."""
    sock.sendall(request)
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response, response.read()


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(5)
    return sock.recv(1) == b""


def test_other_methods_are_404_and_the_next_request_is_unharmed(hub):
    posted = get_session().post(hub.url + "/api/models", json={"big": "x" * 10_000})

    assert (posted.status_code, posted.json()) == (404, {"error": "Not Found"})
    assert get(hub).status_code == 200


@pytest.mark.parametrize(
    "body_headers",
    [
        {"Content-Length": "10000"},
        {"Transfer-Encoding": "chunked"},
    ],
)
def test_a_post_body_is_read_and_the_same_connection_serves_the_next_get(hub, body_headers):
    connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=5)
    body = b"x" * 10_000
    if "Transfer-Encoding" in body_headers:
        body = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:3000], body[3000:])) + b"0\r\n\r\n"
    connection.request("POST", "/api/models", body=body, headers=body_headers)
    posted = connection.getresponse()
    posted_body = posted.read()
    port = connection.sock.getsockname()[1]
    connection.request("GET", "/api/models?limit=2")
    got = connection.getresponse()

    assert (posted.status, posted.getheader("Connection")) == (404, None)
    assert json.loads(posted_body) == {"error": "Not Found"}
    assert (got.status, len(json.loads(got.read()))) == (200, 2)
    assert connection.sock.getsockname()[1] == port  # the same connection, not a reconnection
    connection.close()


def test_a_get_with_a_body_leaves_the_connection_usable(hub):
    with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as sock:
        first, _ = exchange(sock, b"GET /api/models?limit=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nGET ")
        second, _ = exchange(sock, b"GET /api/models?limit=3 HTTP/1.1\r\nHost: x\r\n\r\n")

        assert (first.status, second.status) == (200, 200)
        assert [r.query["limit"] for r in hub.requests] == [["1"], ["3"]]


@pytest.mark.parametrize(
    ("framing", "reason"),
    [
        (b"Content-Length: ten", "invalid Content-Length 'ten'"),
        (b"Content-Length: 4\r\nContent-Length: 5", "invalid Content-Length '4, 5'"),
        (b"Transfer-Encoding: gzip", "unsupported Transfer-Encoding 'gzip'"),
    ],
)
def test_a_body_of_unknown_length_gets_400_connection_close_and_the_server_closes(hub, framing, reason):
    with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as sock:
        answer, body = exchange(sock, b"POST /api/models HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n\r\n")

        assert (answer.status, answer.getheader("Connection")) == (400, "close")
        assert reason in json.loads(body)["error"]
        assert closed_by_server(sock)


# Quick forms of the faults that take time; an endless body says `Connection: close` and a truncated one
# breaks the connection on purpose, so neither belongs here (each has its own test).
_QUICK = {"slow": {"seconds": 0.01}, "trickle_body": {"interval": 0.001, "bytes": 4096}}
FAULTS_FOR_CONNECTIONS = [
    Fault(kind, **_QUICK.get(kind, {})) for kind in FAULT_KINDS if kind not in {"truncated_body", "endless_body"}
]


@pytest.mark.parametrize("fault", FAULTS_FOR_CONNECTIONS, ids=lambda f: f.kind)
def test_every_fault_answer_leaves_the_connection_usable(records, fault):
    with FakeHub(records, page_size=PAGE_SIZE, faults=[fault]) as hub:
        with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as sock:
            faulty, _ = exchange(sock, b"GET /api/models HTTP/1.1\r\nHost: x\r\n\r\n")
            after, _ = exchange(sock, b"GET /api/models HTTP/1.1\r\nHost: x\r\n\r\n")

        assert faulty.getheader("Connection") is None
        assert after.status == 200
        assert [(r.status, r.fault) for r in hub.requests] == [(faulty.status, fault.kind), (200, None)]


def test_truncated_body_breaks_the_connection_without_announcing_it(records):
    """Table row 9: a body cut short, then the connection drops; that break is the fault's point."""
    hub = FakeHub(records, page_size=PAGE_SIZE, faults=[Fault("truncated_body")])
    with hub, socket.create_connection(("127.0.0.1", hub.port), timeout=5) as sock:
        sock.sendall(b"GET /api/models HTTP/1.1\r\nHost: x\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()

        assert (response.status, response.getheader("Connection")) == (200, None)
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        assert closed_by_server(sock)
