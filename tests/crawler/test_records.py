"""Validation of single items, lineage parsing (hub-api.md §2) and license."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.records import InvalidRecord, ValueFixes, convert_items, parse_license, parse_lineage, parse_record

NOW = datetime(2026, 7, 26, 2, 15, tzinfo=UTC)


def lineage(tags, card=None, model_id="me/child"):
    parents, rejected = parse_lineage(model_id, tags, card)
    return parents, [(r.value, r.reason) for r in rejected]


def test_relation_tags_give_typed_edges():
    tags = ["base_model:Qwen/Qwen2.5-7B", "base_model:finetune:Qwen/Qwen2.5-7B", "license:mit"]
    assert lineage(tags) == ([{"id": "Qwen/Qwen2.5-7B", "relation": "finetune"}], [])


def test_relation_tag_before_the_plain_tag_keeps_the_relation():
    tags = ["base_model:quantized:a/b", "base_model:a/b"]
    assert lineage(tags)[0] == [{"id": "a/b", "relation": "quantized"}]


def test_plain_tag_alone_is_a_parent_without_relation():
    assert lineage(["base_model:a/b"])[0] == [{"id": "a/b", "relation": None}]


def test_merge_lists_every_parent_in_tag_order():
    tags = ["base_model:merge:a/one", "base_model:merge:b/two", "base_model:a/one", "base_model:b/two"]
    assert lineage(tags)[0] == [{"id": "a/one", "relation": "merge"}, {"id": "b/two", "relation": "merge"}]


def test_legacy_parent_ids_without_owner_are_accepted():
    assert lineage(["base_model:finetune:gpt2"])[0] == [{"id": "gpt2", "relation": "finetune"}]


def test_unknown_relation_and_bad_ids_are_rejected_with_reasons():
    parents, rejected = lineage(["base_model:distilled:a/b", "base_model:finetune:not an id"])
    assert parents == []
    assert rejected == [
        (
            "base_model:distilled:a/b",
            "unknown relation 'distilled' (expected one of finetune, adapter, quantized, merge)",
        ),
        ("base_model:finetune:not an id", "'not an id' is not a model id"),
    ]


def test_card_string_list_and_relation():
    assert lineage([], {"base_model": "a/b"})[0] == [{"id": "a/b", "relation": None}]
    assert lineage([], {"base_model": ["a/b", "c/d"], "base_model_relation": "merge"})[0] == [
        {"id": "a/b", "relation": "merge"},
        {"id": "c/d", "relation": "merge"},
    ]
    assert lineage([], {"base_model": ["a/b", "a/b", "a/b"]})[0] == [{"id": "a/b", "relation": None}]


def test_card_adds_only_parents_the_tags_miss():
    parents, _ = lineage(["base_model:adapter:a/b"], {"base_model": ["a/b", "missing/repo"]})
    assert parents == [{"id": "a/b", "relation": "adapter"}, {"id": "missing/repo", "relation": None}]


@pytest.mark.parametrize(
    "card, value, reason",
    [
        ({"base_model": 42}, 42, "cardData.base_model is a JSON number, not a model id or a list of ids"),
        ({"base_model": ["a/b", None]}, None, "cardData.base_model holds a JSON null, not a model id"),
        ({"base_model": "https://huggingface.co/a/b"}, "https://huggingface.co/a/b",
         "cardData.base_model is a URL, not a model id"),
        ({"base_model": "a/b/c"}, "a/b/c", "cardData.base_model 'a/b/c' is not a model id"),
        ({"base_model": "a/b", "base_model_relation": "distill"}, "distill",
         "base_model_relation 'distill' is not one of finetune, adapter, quantized, merge"),
        ({"base_model": "me/child"}, "me/child", "names the model itself as its base model"),
    ],
)  # fmt: skip
def test_malformed_card_values_are_rejected_with_a_reason(card, value, reason):
    assert (value, reason) in lineage([], card)[1]


def test_license_tag_wins_over_card():
    assert parse_license(["license:apache-2.0"], {"license": "mit"}) == "apache-2.0"
    assert parse_license([], {"license": "mit"}) == "mit"
    assert parse_license([], {"license": ["other"]}) == "other"
    assert parse_license(["license:"], None) is None
    assert parse_license([], None) is None


def test_a_minimal_record_keeps_missing_values_null():
    row, rejected = parse_record({"id": "a/b"})
    assert rejected == []
    assert row["id"] == "a/b" and row["author"] == "a" and row["name"] == "b"
    nulls = ["downloads", "downloads_all_time", "likes", "trending_score", "created_at", "last_modified",
             "pipeline_tag", "library_name", "license", "gated", "params_safetensors", "params_gguf"]  # fmt: skip
    assert {k: row[k] for k in nulls} == dict.fromkeys(nulls)
    assert row["tags"] == [] and row["base_models"] == []


@pytest.mark.parametrize(
    "item, reason",
    [
        ("not a model", "item is a JSON string, not an object"),
        ({"downloads": 1}, "item has no id"),
        ({"id": 7}, "id 7 is not a model id (owner/name)"),
        ({"id": "a b/c"}, "id 'a b/c' is not a model id (owner/name)"),
        ({"id": "a/b", "createdAt": "yesterday"}, "createdAt 'yesterday' is not a Hub date (YYYY-MM-DDTHH:MM:SS.mmmZ)"),
        (
            {"id": "a/b", "createdAt": "2024-02-30T00:00:00.000Z"},
            "createdAt '2024-02-30T00:00:00.000Z' is not a real date",
        ),
        ({"id": "a/b", "safetensors": {"parameters": {"BF16": 5}}}, "safetensors has no 'total'"),
        ({"id": "a/b", "downloads": "many"}, "downloads is not a number: 'many'"),
        ({"id": "a/b", "downloads": True}, "downloads is not a number: True"),
        ({"id": "a/b", "likes": 1.5}, "likes is not a whole number: 1.5"),
        ({"id": "a/b", "tags": "gguf"}, "tags is not a list of strings"),
        ({"id": "a/b", "pipeline_tag": 3}, "pipeline_tag is a number, not a string: 3"),
    ],
)  # fmt: skip
def test_invalid_items_are_rejected_with_a_reason(item, reason):
    with pytest.raises(InvalidRecord) as info:
        parse_record(item)
    assert str(info.value) == reason


def test_convert_items_keeps_good_items_and_names_the_bad_ones():
    page = convert_items(
        [{"id": "a/b", "downloads": 3, "createdAt": "2024-01-02T03:04:05.000Z"}, {"id": "c/d", "createdAt": "x"}, 5],
        NOW,
    )
    assert page.seen == 3
    assert page.table.column("id").to_pylist() == ["a/b"]
    assert page.table.column("created_at").to_pylist() == [datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)]
    assert page.table.column("crawled_at").to_pylist() == [NOW]
    assert [(r.id, r.reason) for r in page.rejected] == [
        ("c/d", "createdAt 'x' is not a Hub date (YYYY-MM-DDTHH:MM:SS.mmmZ)"),
        (None, "item is a JSON number, not an object"),
    ]


def test_gated_and_params():
    row, _ = parse_record({"id": "a/b", "gated": "auto", "safetensors": {"parameters": {}, "total": 7},
                           "gguf": {"architecture": "llama"}})  # fmt: skip
    assert (row["gated"], row["params_safetensors"], row["params_gguf"]) == ("auto", 7, None)


# Quarantine per value: what Arrow/Parquet cannot store as sent is fixed and counted; the model stays.

REPLACED = "lone surrogate or NUL character replaced by U+FFFD"


@pytest.mark.parametrize(
    "item, column, value, reason",
    [
        ({"downloads": 2**63 - 1}, "downloads", 2**63 - 1, None),
        ({"downloads": -(2**63)}, "downloads", -(2**63), None),
        ({"downloads": 2**63}, "downloads", None, "outside the 64-bit integer range; nulled"),
        ({"likes": -(2**63) - 1}, "likes", None, "outside the 64-bit integer range; nulled"),
        ({"likes": 1e30}, "likes", None, "outside the 64-bit integer range; nulled"),
        ({"downloadsAllTime": float("inf")}, "downloads_all_time", None, "not a finite number; nulled"),
        ({"trendingScore": float("nan")}, "trending_score", None, "not a finite number; nulled"),
        ({"trendingScore": 10**400}, "trending_score", None, "not a finite number; nulled"),
        ({"gguf": {"total": 2**64}}, "params_gguf", None, "outside the 64-bit integer range; nulled"),
        ({"library_name": "a\x00b"}, "library_name", "a\ufffdb", REPLACED),
        ({"pipeline_tag": "text-\ud83d"}, "pipeline_tag", "text-\ufffd", REPLACED),
        ({"author": "\udc00"}, "author", "\ufffd", REPLACED),
        ({"pipeline_tag": "x" * 4097}, "pipeline_tag", None, "longer than 4096 characters; nulled"),
        ({"pipeline_tag": "x" * 4096}, "pipeline_tag", "x" * 4096, None),
        ({"gated": ["manual"]}, "gated", None, "a JSON array, not a boolean or a string; nulled"),
        ({"cardData": {"license": "\ud800"}}, "license", "\ufffd", REPLACED),
        ({"pipeline_tag": "text-generation 🤗"}, "pipeline_tag", "text-generation 🤗", None),  # a real pair is fine
    ],
)  # fmt: skip
def test_values_that_cannot_be_stored_are_fixed_and_counted(item, column, value, reason):
    fixes = ValueFixes()
    row, _ = parse_record({"id": "a/b", **item}, fixes)
    assert row[column] == value
    expected = {} if reason is None else {column: {"count": 1, "reasons": {reason: 1}, "examples": ["a/b"]}}
    assert fixes.to_dict() == expected
    assert convert_items([{"id": "a/b", **item}], NOW).table.num_rows == 1  # and Arrow takes the row


def test_tags_are_repaired_or_dropped_one_by_one():
    fixes = ValueFixes()
    row, _ = parse_record({"id": "a/b", "tags": ["ok", "bad\ud800", "y" * 5000, "license:mit"]}, fixes)
    assert row["tags"] == ["ok", "bad\ufffd", "license:mit"] and row["license"] == "mit"
    assert fixes.to_dict() == {
        "tags": {"count": 2, "examples": ["a/b"], "reasons": {
            REPLACED: 1, "a tag longer than 4096 characters; dropped": 1,
        }},
    }  # fmt: skip


def test_an_unusable_id_quarantines_the_record_with_a_storable_id():
    page = convert_items([{"id": "a/b\ud800"}, {"id": "a/" + "b" * 300}, {"id": "c/d", "likes": 2**70}], NOW)
    assert page.table.column("id").to_pylist() == ["c/d"]
    assert [r.to_dict() for r in page.rejected] == [
        {"id": "a/b\ufffd", "reason": "id 'a/b\ufffd' is not a model id (owner/name)"},
        {"id": "a/" + "b" * 198, "reason": "id is 302 characters long, more than a Hub id can be (200)"},
    ]
    assert page.fixed.to_dict() == {
        "likes": {"count": 1, "reasons": {"outside the 64-bit integer range; nulled": 1}, "examples": ["c/d"]}
    }


def test_fixes_of_many_pages_add_up_and_keep_a_few_examples():
    total = ValueFixes()
    for page in range(3):
        fixes = ValueFixes()
        for i in range(4):
            parse_record({"id": f"o/m{page}{i}", "likes": 2**63}, fixes)
        total.merge(fixes.to_dict())
    assert total.to_dict() == {"likes": {"count": 12, "reasons": {"outside the 64-bit integer range; nulled": 12},
                                         "examples": ["o/m00", "o/m01", "o/m02", "o/m03", "o/m10"]}}  # fmt: skip
