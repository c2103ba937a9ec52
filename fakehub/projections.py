"""Which keys each `/api/models` projection returns (../shared/docs/hub-api.md a.3), in the Hub's order.

Keys whose value is unknown for a model are omitted from its object, never sent as null.
"""

from __future__ import annotations

# The default listing (no full, no expand), from a real Nov-2025 response.
DEFAULT_KEYS: tuple[str, ...] = (
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
    "createdAt", "modelId",
)  # fmt: skip

# full=true adds author, gated, lastModified, sha and siblings (a real 2026-06 response).
FULL_KEYS: tuple[str, ...] = (
    "_id", "id", "author", "gated", "lastModified", "likes", "trendingScore", "private", "sha", "downloads",
    "tags", "pipeline_tag", "library_name", "createdAt", "modelId", "siblings",
)  # fmt: skip

# Values `expand` accepts: huggingface_hub 2.4's ExpandModelProperty_T, plus 0.36's xetEnabled.
EXPAND_VALUES: frozenset[str] = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
        "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
        "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
        "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
        "transformersInfo", "trendingScore", "usedStorage", "widgetData", "xetEnabled",
    }
)  # fmt: skip
# The Hub refuses these in listings; only /api/models/{repo_id} computes them (huggingface_hub #3182).
NOT_ALLOWED_IN_LISTINGS: frozenset[str] = frozenset({"baseModels", "childrenModelCount", "usedStorage"})
# Computed from the whole store rather than read from a column (model_info only).
COMPUTED_KEYS: frozenset[str] = frozenset({"baseModels", "childrenModelCount"})


def listing_keys(*, full: bool, card_data: bool, config: bool, expand: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of one listed model. With `expand`, only `_id`, `id` and the expanded keys (#2325): the
    fake lets `expand` win over full/cardData/config, which the client never sends together."""
    if expand:
        return ("_id", "id", *dict.fromkeys(k for k in expand if k not in ("_id", "id")))
    keys = FULL_KEYS if full else DEFAULT_KEYS
    if card_data:
        keys = (*keys, "cardData")
    if config:
        keys = (*keys, "config")
    return keys
