"""Render the SYNTHETIC Hub's rows (fakehub.synthetic) into /api/models fields: ids, dates, counts, tags,
cardData, safetensors, gguf, config and siblings. Nested fields are JSON strings, which the fake Hub's
store embeds verbatim (notes/fakehub-api.md §1)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from fakehub import synthetic_names as pools
from fakehub.synthetic_common import (
    ADAPTER,
    ANOMALY_KINDS,
    BASE,
    FINETUNE,
    LEGACY_CREATED_AT,
    MERGE,
    ORIGINAL,
    QUANTIZED,
    SYNTHETIC_ID_MARKER,
    SyntheticHub,
    cat_strings,
    day_number,
    object_array,
)

COLUMNS = (
    "_id",
    "id",
    "author",
    "downloads",
    "downloadsAllTime",
    "likes",
    "trendingScore",
    "createdAt",
    "lastModified",
    "private",
    "gated",
    "disabled",
    "pipeline_tag",
    "library_name",
    "tags",
    "sha",
    "cardData",
    "safetensors",
    "gguf",
    "config",
    "siblings",
)

_SHARED = frozenset({"gated", "pipeline_tag", "library_name", "tags", "config", "siblings"})
_QFMT = list(pools.QUANT_FORMATS)
_GGUF_FMTS = np.array([k.startswith("gguf") or k == "ggml" for k in _QFMT] + [False])  # index -1 -> last
_BNB = [i for i, k in enumerate(_QFMT) if k.startswith("bnb")]
# None, the value of an absent field, as an array: numpy's stubs type np.where with a bare None branch as the
# one-argument form (which returns indices); the result is the same object column either way.
_ABSENT = np.array(None, dtype=object)
# Share of the models made before mid-2022 that show no pipeline tag (fitted to hf-models-2022-10)
_OLD_NO_TASK = 0.3
_PACKED = [pools.QUANT_FORMATS[k].packed for k in _QFMT]
_QUANT_METHOD = {
    "gptq": "gptq",
    "awq": "awq",
    "bnb": "bitsandbytes",
    "bnb-erkhov": "bitsandbytes",
    "bnb-user": "bitsandbytes",
    "fp8": "compressed-tensors",
    "w4a16": "compressed-tensors",
}


def _filled(n: int, value: object) -> np.ndarray:
    """An object array of n references to one value (np.full cannot fill with a tuple)."""
    out = np.empty(n, dtype=object)
    out[:] = [value] * n
    return out


def _hex(values: np.ndarray, width: int) -> np.ndarray:
    """Unsigned ints as fixed-width lower-case hex strings (width 8: uint32), vectorised through bytes.hex()."""
    raw = np.ascontiguousarray(values.astype(">u4")).tobytes().hex().encode()
    return np.frombuffer(raw, dtype=f"S{width}").astype(f"U{width}").astype(object)


def _iso(days: np.ndarray) -> np.ndarray:
    secs = (days * 86400).astype(np.int64).astype("datetime64[s]")
    return cat_strings(np.datetime_as_string(secs, unit="s").astype(object), ".000Z")


def _ints(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64).astype(str).astype(object)


def _arrow(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Per-row strings as pandas' Arrow-backed `str` array, converted as soon as each column is made so that
    the Python string objects do not pile up (at 3M rows they would take several GB)."""
    return pd.array(values, dtype=pd.StringDtype(na_value=np.nan))


def render(
    c: dict[str, np.ndarray],
    rng: np.random.Generator,
    bases: Sequence[pools.Base],
    base_fam: np.ndarray,
    fams: Sequence[pools.Family],
    now: float,
) -> SyntheticHub:
    """The Hub frame and lineage truth of the builder's rows `c` (one array per column; see _Builder.cols).

    `bases` are the base models, `base_fam` the index of each one's family in `fams`, `now` the Hub's "now" in
    days since 1970."""
    # Chronological order, so that `_id` (which starts with the creation time) sorts like createdAt.
    order = np.argsort(c["t"], kind="stable")
    pos = np.empty_like(order)
    pos[order] = np.arange(len(order))
    for key in list(c):
        c[key] = c[key][order]
    for p in ("p1", "p2", "p3"):
        c[p] = np.where(c[p] >= 0, pos[np.maximum(c[p], 0)], -1)
    n = len(c["t"])
    kind, root, t = c["kind"], c["root"], c["t"]
    qfmt, by_account = c["qfmt"], c["by_account"]
    fam = base_fam[root]
    ids = cat_strings(c["owner"], "/", c["name"])

    # ---- ids and dates ----------------------------------------------------------------------------
    ts = (t * 86400).astype(np.int64)
    _id = _arrow(cat_strings(_hex(ts, 8), SYNTHETIC_ID_MARKER, _hex(np.arange(n), 8)))
    sha = _arrow(
        cat_strings(
            SYNTHETIC_ID_MARKER,
            np.frombuffer(rng.bytes(16 * n).hex().encode(), dtype="S32").astype("U32").astype(object),
        )
    )
    created = _iso(t)
    legacy = t < day_number("2022-03-02") + 0.98
    created[legacy] = LEGACY_CREATED_AT
    created = _arrow(created)
    touched = rng.random(n) < 0.7
    modified_t = np.minimum(t + np.where(touched, rng.exponential(40.0, n), rng.random(n) * 0.02), now - 0.001)
    modified_t = np.maximum(modified_t, t)
    modified = _iso(modified_t)
    # lastModified >= createdAt also for the legacy stamp
    modified[legacy & (modified_t < day_number("2022-03-02") + 0.98)] = "2022-03-03T00:00:00.000Z"
    modified = _arrow(modified)

    # ---- counts -----------------------------------------------------------------------------------
    logdl = c["pop"]
    downloads = np.floor(10 ** np.clip(logdl, 0, 8.5)).astype(np.int64) - 1
    downloads = np.where(rng.random(n) < 0.02, 0, downloads)  # some repos go quiet
    age_months = (now - t) / 30.4
    downloads_all = (
        downloads
        + np.floor(downloads * age_months * rng.uniform(0.3, 1.5, n)).astype(np.int64)
        + rng.integers(0, 40, n)
    )
    like_log = 0.62 * np.log10(downloads + 1) - 1.3 + np.where(kind == BASE, 0.3, 0.0) + rng.normal(0, 0.4, n)
    likes = np.maximum(np.floor(10**like_log) - 1, 0).astype(np.int64)
    trending = np.floor(likes * np.exp(-(now - t) / 25.0) * rng.uniform(0.2, 1.0, n)).astype(np.int64)

    # ---- task, library, license ------------------------------------------------------------------
    fam_pipe = object_array(f.pipeline or "" for f in fams)[fam]
    pipeline = _pipelines(rng, fam_pipe, fam, fams, kind, qfmt, t)

    library = object_array(f.library for f in fams)[fam]
    library = np.where(kind == ADAPTER, "peft", library)
    is_q = kind == QUANTIZED
    fmt_lib = object_array([pools.QUANT_FORMATS[k].library for k in _QFMT] + [""])[qfmt]
    library = np.where(is_q, fmt_lib, library)
    gguf_rows = is_q & _GGUF_FMTS[qfmt]
    # mradermacher and many GGUF uploads say "transformers"; some say nothing
    library = np.where(gguf_rows & (rng.random(n) < 0.4), "transformers", library)
    library = np.where(c["owner"] == "mradermacher", "transformers", library)
    library = np.where((kind != BASE) & (rng.random(n) < 0.05), _ABSENT, library)

    fam_license = object_array(f.license for f in fams)[fam]
    other_lic = object_array(pools.LICENSES_OTHER)[rng.integers(len(pools.LICENSES_OTHER), size=n)]
    u = rng.random(n)
    license_ = np.where(u < 0.62, fam_license, np.where(u < 0.85, other_lic, _ABSENT))
    license_ = np.where(kind == BASE, fam_license, license_)
    # Quantizations keep their parent's license
    license_ = np.where(is_q & by_account, license_[np.maximum(c["p1"], 0)], license_)

    # ---- lineage declarations -------------------------------------------------------------------
    llm = np.isin(fam_pipe, ["text-generation", "image-text-to-text"])
    declared = _declared(rng, kind, by_account, t, c["owner"], llm)
    declared[kind == BASE] = c["p1"][kind == BASE] >= 0
    relation = object_array(["", "", "finetune", "adapter", "quantized", "merge"])[kind]
    relation = np.where(kind == BASE, "finetune", relation)
    tag_relation = relation.copy()
    # The Hub infers relations; gguf-my-repo uploads are sometimes tagged finetune (seen in real records).
    odd = gguf_rows & ~by_account & (rng.random(n) < 0.15)
    tag_relation[odd] = "finetune"
    pid = [np.where(c[p] >= 0, ids[np.maximum(c[p], 0)], _ABSENT) for p in ("p1", "p2", "p3")]

    anomalies, cycle_child = _pick_anomalies(rng, kind, declared, c["p1"], c["p2"], n)
    extra_tags = _filled(n, ())
    card_override: dict[int, dict] = {}
    license_name: dict[int, str] = {}
    tag_parent = pid[0].copy()
    drop_tags = np.zeros(n, bool)
    for kind_name, rows in anomalies.items():
        for i in rows:
            p = pid[0][i]
            if kind_name == "url_base_model":
                card_override[i] = {"base_model": f"https://huggingface.co/{p}"}
                drop_tags[i] = True
            elif kind_name == "non_string_base_model":
                card_override[i] = {"base_model": {"name": p} if i % 2 else 7}
                drop_tags[i] = True
            elif kind_name == "duplicated_list":
                card_override[i] = {"base_model": [p, p, p]}
            elif kind_name == "unknown_relation":
                card_override[i] = {"base_model": p, "base_model_relation": "distillation"}
                tag_relation[i] = "distillation"
            elif kind_name == "self_loop":
                tag_parent[i] = ids[i]
                card_override[i] = {"base_model": ids[i]}
            elif kind_name == "cycle":
                tag_parent[i] = ids[cycle_child[i]]
                tag_relation[i] = "finetune"
                card_override[i] = {"base_model": tag_parent[i]}
            elif kind_name == "missing_parent":
                tag_parent[i] = f"deleted-account/{c['name'][i]}-base"
                card_override[i] = {"base_model": tag_parent[i]}
            elif kind_name == "hostile_license":
                license_[i] = "<script>alert('license')</script>"
                license_name[i] = '<img src=x onerror="alert(1)">'
            elif kind_name == "unicode_tags":
                extra_tags[i] = ("日本語", "한국어-모델", "modèle-français", "🤗-emoji")
                license_name[i] = "Лицензия © 2026 — 許可"
    declared_eff = declared & ~drop_tags
    tag_parents = [tag_parent, pid[1], pid[2]]

    # ---- weights: safetensors, gguf ---------------------------------------------------------------
    params = c["params"]
    old = t < day_number("2023-06-01")
    has_st = np.isin(kind, [BASE, ORIGINAL, FINETUNE, MERGE]) & (rng.random(n) < np.where(old, 0.4, 0.9))
    has_st |= (kind == BASE) & (t >= day_number("2023-01-01"))
    has_st |= (kind == ADAPTER) & (rng.random(n) < 0.25)
    packed_lo = np.array([p[0] if p else np.nan for p in _PACKED] + [np.nan])[qfmt]
    packed_hi = np.array([p[1] if p else np.nan for p in _PACKED] + [np.nan])[qfmt]
    q_st = is_q & ~np.isnan(packed_lo)
    has_st |= q_st
    st_total = params.copy()
    share = packed_lo + (packed_hi - packed_lo) * rng.random(n)
    st_total[q_st] = (params[q_st] * share[q_st]).astype(np.int64)
    dtype = np.where(t < day_number("2023-03-01"), "F32", np.where(t < day_number("2024-01-01"), "F16", "BF16"))
    dtype = np.where(rng.random(n) < 0.1, "F16", dtype)
    st_params = cat_strings('{"', dtype, '":', _ints(st_total), "}")
    # Packed weights report two dtypes: the packed ints and the unquantized rest
    qi = np.flatnonzero(q_st)
    rest = (st_total[qi] * rng.uniform(0.05, 0.25, len(qi))).astype(np.int64)
    # (MLX packs into U32, bitsandbytes into U8, GPTQ/AWQ into I32)
    packed_dtype = np.where(library[qi] == "mlx", ',"U32":', np.where(np.isin(qfmt[qi], _BNB), ',"U8":', ',"I32":'))
    st_params[qi] = cat_strings('{"F16":', _ints(rest), packed_dtype, _ints(st_total[qi] - rest), "}")
    safetensors = _arrow(
        np.where(has_st, cat_strings('{"parameters":', st_params, ',"total":', _ints(st_total), "}"), _ABSENT)
    )
    del st_params

    model_type = object_array(f.model_type for f in fams)[fam]
    ctx = np.array([f.context for f in fams])[fam]
    gguf_total = np.where(rng.random(n) < 0.85, params, (params * rng.uniform(0.97, 1.03, n)).astype(np.int64))
    gguf = _arrow(
        np.where(
            gguf_rows & (qfmt != _QFMT.index("ggml")),
            cat_strings(
                '{"total":', _ints(gguf_total), ',"architecture":"', model_type, '","context_length":', _ints(ctx), "}"
            ),
            _ABSENT,
        )
    )

    # ---- config, siblings ---------------------------------------------------------------------------
    # One shared text per (family, quantization method)
    combo = fam.astype(np.int64) * (len(_QFMT) + 1) + (qfmt + 1)
    uniq, inverse = np.unique(combo, return_inverse=True)
    texts = []
    for code in uniq.tolist():
        f, q = fams[code // (len(_QFMT) + 1)], code % (len(_QFMT) + 1) - 1
        method = _QUANT_METHOD.get(_QFMT[q], "") if q >= 0 else ""
        quant = f',"quantization_config":{{"quant_method":"{method}"}}' if method else ""
        texts.append(f'{{"architectures":["{f.architecture}"],"model_type":"{f.model_type}"{quant}}}')
    has_cfg = ~gguf_rows & (kind != ADAPTER)
    config = np.where(has_cfg, object_array(texts)[inverse], _ABSENT)
    siblings = _siblings(rng, kind, gguf_rows, has_st, params, c["name"], n)

    # ---- tags --------------------------------------------------------------------------------------
    conversational = (
        np.array([f.chat for f in fams])[fam]
        & (fam_pipe == "text-generation")
        & (
            (kind != BASE) & (rng.random(n) < 0.55)
            | pd.Series(c["name"]).str.contains(r"(?i)instruct|chat|-it\b").to_numpy()
        )
    )
    lang = np.where(
        rng.random(n) < 0.35, object_array(pools.LANG_TAGS)[rng.integers(len(pools.LANG_TAGS), size=n)], _ABSENT
    )
    head = _heads(library, qfmt, is_q, has_st, model_type, pipeline, conversational, lang)
    tails = _tails(rng, kind, pipeline, library, t, n)
    bm = _base_model_tags(declared_eff, tag_relation, tag_parents, n)
    lic_codes, lic_values = pd.factorize(pd.Series(license_, dtype=object))
    lic_tag = object_array(["license:" + v for v in lic_values] + [None])[lic_codes]
    # list(tuple) allocates exactly; building by unpacking would over-allocate every one of the n lists.
    no_license = ()
    tags = [
        list(h + x + m + ((lt,) if lt is not None else no_license) + tl)
        for h, x, m, lt, tl in zip(head, extra_tags, bm, lic_tag, tails)
    ]
    del head, tails, bm, lic_tag

    # ---- cardData ---------------------------------------------------------------------------------
    card = _card_data(rng, declared_eff, relation, pid, license_, kind, n)
    for i, override in card_override.items():
        card[i] = json.dumps({"license": license_[i], **override} if license_[i] else override, ensure_ascii=False)
    for i, name in license_name.items():
        body = json.loads(card[i]) if card[i] else {}
        body["license_name"] = name
        card[i] = json.dumps(body, ensure_ascii=False)
    card = _arrow(card)

    gated = np.full(n, False, dtype=object)
    base_gated = np.array([base.gated for base in bases])[root] & (kind == BASE)
    gated[base_gated] = "manual"
    g = rng.random(n)
    gated[(kind != BASE) & (g < 0.012)] = "auto"
    gated[(kind != BASE) & (g > 0.996)] = "manual"

    truth = _truth(ids, pid, relation, declared_eff, tag_parent)
    anomaly_ids = {k: [ids[i] for i in rows] for k, rows in anomalies.items()}
    id_column, author = _arrow(ids), c["owner"]
    del pid, tag_parents, tag_parent, ids, c
    columns = {
        "_id": _id,
        "id": id_column,
        "author": author,
        "downloads": downloads,
        "downloadsAllTime": downloads_all,
        "likes": likes,
        "trendingScore": trending,
        "createdAt": created,
        "lastModified": modified,
        "private": np.zeros(n, bool),
        "gated": gated,
        "disabled": np.zeros(n, bool),
        "pipeline_tag": pipeline,
        "library_name": library,
        "tags": tags,
        "sha": sha,
        "cardData": card,
        "safetensors": safetensors,
        "gguf": gguf,
        "config": config,
        "siblings": siblings,
    }
    # Per-row strings go to Arrow-backed `str` columns (compact at 3M rows); columns whose values are shared
    # objects from small pools stay `object`, where each row holds only a reference.
    frame = pd.DataFrame(
        {k: pd.Series(v, dtype=object) if k in _SHARED else v for k, v in columns.items()}, columns=list(COLUMNS)
    )
    frame.attrs["synthetic"] = True
    frame.attrs["generator"] = "fakehub.synthetic"
    frame.attrs["anomalies"] = anomaly_ids
    truth.attrs["synthetic"] = True
    return SyntheticHub(frame=frame, truth=truth)


def _pipelines(rng: np.random.Generator, fam_pipe, fam, fams, kind, qfmt, t) -> np.ndarray:
    """Each row's pipeline tag: its family's, or for derived models one of the family's `tasks` (a BERT is
    fine-tuned into a classifier); absent for half the adapters, a third of GGUF files (hf-top-downloads-2024-09:
    238 of the 633 quantizations above its threshold show none) and a third of the models made before the Hub
    inferred tasks for everything (hf-models-2022-10: 35 % of all models have none), else for 4 %."""
    n = len(kind)
    pipeline = fam_pipe.copy()
    derived = kind != BASE
    for i, f in enumerate(fams):
        if not f.tasks:
            continue
        rows = np.flatnonzero((fam == i) & derived)
        if len(rows):
            names, weights = zip(*f.tasks)
            p = np.array(weights) / sum(weights)
            pipeline[rows] = object_array(names)[rng.choice(len(names), size=len(rows), p=p)]
    u = rng.random(n)
    gguf = (kind == QUANTIZED) & _GGUF_FMTS[qfmt]
    p_drop = np.select(
        [kind == ADAPTER, gguf, t < day_number("2022-06-01")], [0.5, 0.2, _OLD_NO_TASK], np.where(derived, 0.11, 0.0)
    )
    return np.where((u < p_drop) | (pipeline == ""), _ABSENT, pipeline)


def _declared(rng: np.random.Generator, kind, by_account, t, owner, llm) -> np.ndarray:
    """Who writes `base_model`: almost no one before mid-2023, most quantizer accounts, peft and mergekit
    (which write it for you) and a minority of hand-written fine-tune cards, half as many for the other tasks
    (hf-top-downloads-2024-09: 12 % of the text-generation models declare a fine-tune, 3–12 % of the
    classifiers, embedders, speech and diffusion models)."""
    n = len(kind)
    early = t < day_number("2023-06-01")
    mid = (t >= day_number("2023-06-01")) & (t < day_number("2024-01-01"))
    p_mid = np.select(
        [kind == FINETUNE, kind == ADAPTER, (kind == QUANTIZED) & by_account, kind == QUANTIZED, kind == MERGE],
        [0.12, 0.55, 0.45, 0.3, 0.5],
        0.0,
    )
    p_late = np.select(
        [kind == FINETUNE, kind == ADAPTER, (kind == QUANTIZED) & by_account, kind == QUANTIZED, kind == MERGE],
        [0.14, 0.82, 0.9, 0.55, 0.6],
        0.0,
    )
    p = np.where(
        early, np.where(np.isin(kind, [FINETUNE, ADAPTER, QUANTIZED, MERGE]), 0.05, 0.0), np.where(mid, p_mid, p_late)
    )
    p = np.where(np.isin(owner, pools.BULK_ACCOUNTS), 0.0, p)
    p = np.where(~llm & (kind == FINETUNE), 0.5 * p, p)
    return rng.random(n) < p


def _pick_anomalies(rng, kind, declared, p1, p2, n) -> tuple[dict[str, np.ndarray], dict[int, int]]:
    """A few rows per anomaly kind (none below 1,000 models, then one per 20,000, at least one each), and
    for each "cycle" row the child it will name as its parent."""
    if n < 1000:
        return {}, {}
    per = max(1, n // 20_000)
    plain = declared & np.isin(kind, [FINETUNE, ADAPTER, QUANTIZED]) & (p2 < 0)
    # Cycles: a model that names one of its own (plainly declared) children as its parent.
    child_rows = np.flatnonzero(plain & (p1 >= 0))
    order = child_rows[np.argsort(p1[child_rows], kind="stable")]
    parents_sorted = p1[order]
    has_child = np.zeros(n, bool)
    has_child[parents_sorted] = True
    closers = np.flatnonzero(plain & has_child & (kind == FINETUNE))
    if len(closers) < per:
        return {}, {}
    closers = np.sort(rng.choice(closers, size=per, replace=False))
    child_of = {int(i): int(order[np.searchsorted(parents_sorted, i)]) for i in closers}
    taken = np.zeros(n, bool)
    taken[closers] = True
    taken[list(child_of.values())] = True
    others = [k for k in ANOMALY_KINDS if k != "cycle"]
    candidates = np.flatnonzero(plain & ~taken)
    if len(candidates) < per * len(others):
        return {}, {}
    chosen = rng.choice(candidates, size=per * len(others), replace=False)
    anomalies = {k: np.sort(chosen[i * per : (i + 1) * per]) for i, k in enumerate(others)}
    anomalies["cycle"] = closers
    return anomalies, child_of


def _heads(library, qfmt, is_q, has_st, model_type, pipeline, conversational, lang) -> np.ndarray:
    """The first tags, (library, format, weights, model type, task, conversational, language): few distinct
    combinations, so each is built once and shared."""
    columns = [library, np.where(is_q, qfmt, -1), has_st, model_type, pipeline, conversational, lang]
    codes, values = [], []
    for col in columns:
        c, v = pd.factorize(pd.Series(col, dtype=object) if col.dtype == object else col, use_na_sentinel=True)
        codes.append(c + 1)  # 0 = absent
        values.append([None, *v])
    combined = np.zeros(len(library), dtype=np.int64)
    for c, v in zip(codes, values):
        combined = combined * len(v) + c
    uniq, inverse = np.unique(combined, return_inverse=True)
    heads = []
    for code in uniq.tolist():
        parts = []
        for v in reversed(values):
            code, r = divmod(code, len(v))
            parts.append(v[r])
        lib, q, st, mt, pipe, conv, lg = reversed(parts)
        tags = []
        if lib:
            tags.append(lib)
        if q is not None and q >= 0:
            tags += [x for x in pools.QUANT_FORMATS[_QFMT[q]].tags if x != lib]
        if st and "safetensors" not in tags:
            tags.append("safetensors")
        tags.append(mt)
        if pipe:
            tags.append(pipe)
        if conv:
            tags.append("conversational")
        if lg:
            tags.append(lg)
        heads.append(tuple(dict.fromkeys(tags)))
    pool = np.empty(len(heads), dtype=object)
    pool[:] = heads
    return pool[inverse]


def _tails(rng, kind, pipeline, library, t, n) -> np.ndarray:
    """The last tags: training-tool tags, and the Hub's own `endpoints_compatible` / `region:us`."""
    variants = [
        ("endpoints_compatible", "region:us"),
        ("text-generation-inference", "endpoints_compatible", "region:us"),
        ("autotrain_compatible", "text-generation-inference", "endpoints_compatible", "region:us"),
        ("trl", "sft", "endpoints_compatible", "region:us"),
        ("unsloth", "trl", "text-generation-inference", "endpoints_compatible", "region:us"),
        ("generated_from_trainer", "endpoints_compatible", "region:us"),
        ("mergekit", "merge", "endpoints_compatible", "region:us"),
        ("lora", "region:us"),
        ("region:us",),
    ]
    pool = np.empty(len(variants), dtype=object)
    pool[:] = variants
    tg = pd.Series(pipeline, dtype=object) == "text-generation"
    u = rng.random(n)
    code = np.where(tg, np.where(t < day_number("2024-06-01"), 2, 1), 0)
    ft = kind == FINETUNE
    code = np.where(ft & (u < 0.15), 3, code)
    code = np.where(ft & (u >= 0.15) & (u < 0.25), 4, code)
    code = np.where(ft & (u >= 0.25) & (u < 0.4), 5, code)
    code = np.where(kind == MERGE, 6, code)
    code = np.where(kind == ADAPTER, 7, code)
    code = np.where(pd.isna(library) & (u > 0.5), 8, code)
    return pool[code]


def _shared(strings: np.ndarray) -> np.ndarray:
    """The same strings, one object per distinct value (a parent with 500 children is spelled once)."""
    codes, uniques = pd.factorize(pd.Series(strings, dtype=object))
    pool = object_array(list(uniques) + [None])
    return pool[codes]


def _base_model_tags(declared, relation, parents, n) -> np.ndarray:
    """Per row, the `base_model:<id>` tag of every parent, then their `base_model:<relation>:<id>` tags."""
    out = _filled(n, ())
    rows = np.flatnonzero(declared)
    if not len(rows):
        return out
    rel = relation[rows]
    plain, related = [], []
    for p in parents:
        pr = p[rows]
        has = pr != None  # noqa: E711 (object array)
        a = _filled(len(rows), None)
        b = _filled(len(rows), None)
        a[has] = _shared(cat_strings("base_model:", pr[has]))
        b[has] = _shared(cat_strings("base_model:", rel[has], ":", pr[has]))
        plain.append(a)
        related.append(b)
    (a1, a2, a3), (b1, b2, b3) = plain, related
    single = a2 == None  # noqa: E711
    tag_tuples = [
        (x1, y1) if one else tuple(x for x in (x1, x2, x3, y1, y2, y3) if x is not None)
        for one, x1, x2, x3, y1, y2, y3 in zip(single.tolist(), a1, a2, a3, b1, b2, b3)
    ]
    out[rows] = tag_tuples if len(tag_tuples) != 1 else [tag_tuples[0]]
    return out


def _card_data(rng, declared, relation, pid, license_, kind, n) -> np.ndarray:
    """cardData as JSON text: the license and, when declared, `base_model` (a list for merges) and sometimes
    an explicit `base_model_relation`. Tags-only edges (no card) exist too."""
    has_card = rng.random(n) < np.where(declared, 0.95, 0.7)
    lic_codes, lic_values = pd.factorize(pd.Series(license_, dtype=object))
    lic_pool = object_array(['"license":' + json.dumps(v, ensure_ascii=False) for v in lic_values] + [""])
    lic_part = lic_pool[lic_codes]  # code -1 (no license) takes the last, empty entry
    p1, p2, p3 = (np.where(p == None, "", p) for p in pid)  # noqa: E711 (object arrays)
    out = _filled(n, None)
    rows = np.flatnonzero(has_card)
    d = declared[rows]
    explicit = d & (
        rng.random(len(rows)) < np.select([kind[rows] == QUANTIZED, kind[rows] == ADAPTER], [0.3, 0.1], 0.04)
    )
    rel = relation[rows]
    lic = lic_part[rows]
    a, b, c3 = p1[rows], p2[rows], p3[rows]
    body = []
    for li, dd, ex, r, x, y, z in zip(
        lic.tolist(), d.tolist(), explicit.tolist(), rel.tolist(), a.tolist(), b.tolist(), c3.tolist()
    ):
        parts = [li] if li else []
        if dd:
            if not y:
                parts.append(f'"base_model":"{x}"')
            elif not z:
                parts.append(f'"base_model":["{x}","{y}"]')
            else:
                parts.append(f'"base_model":["{x}","{y}","{z}"]')
            if ex:
                parts.append(f'"base_model_relation":"{r}"')
        body.append("{" + ",".join(parts) + "}" if parts else None)
    out[rows] = body
    return out


_ST_FILES = (".gitattributes", "README.md", "config.json", "generation_config.json")
_TOK_FILES = ("special_tokens_map.json", "tokenizer.json", "tokenizer_config.json")


def _sibling_json(files) -> str:
    return json.dumps([{"rfilename": f} for f in files], separators=(",", ":"))


def _siblings(rng, kind, gguf_rows, has_st, params, name, n) -> np.ndarray:
    """Repo file lists: a few shapes shared between rows, and per-row GGUF file names."""
    shards = np.clip(np.ceil(params * 2 / 5e9), 1, 200).astype(int)
    pool: dict[int, str] = {}
    for k in np.unique(shards):
        files = list(_ST_FILES)
        files += (
            ["model.safetensors"]
            if k == 1
            else [f"model-{i:05d}-of-{k:05d}.safetensors" for i in range(1, k + 1)] + ["model.safetensors.index.json"]
        )
        pool[int(k)] = _sibling_json(files + list(_TOK_FILES))
    st_pool = np.array([pool.get(k, "") for k in range(201)], dtype=object)
    bin_files = _sibling_json(
        [".gitattributes", "README.md", "config.json", "pytorch_model.bin", "vocab.json", "merges.txt"]
    )
    adapter = _sibling_json(
        [".gitattributes", "README.md", "adapter_config.json", "adapter_model.safetensors", "training_args.bin"]
    )
    out = np.where(has_st, st_pool[shards], bin_files)
    out = np.where(kind == ADAPTER, adapter, out)
    rows = np.flatnonzero(gguf_rows)
    if len(rows):
        stem = (
            pd.Series(name[rows], dtype=object)
            .str.replace(r"(?i)[-.](i1-)?gguf$|-Q\d.*$", "", regex=True)
            .to_numpy(dtype=object)
        )
        gguf_files = cat_strings('{"rfilename":".gitattributes"},{"rfilename":"README.md"}')
        for q in ("Q4_K_M", "Q5_K_M", "Q8_0"):
            gguf_files = cat_strings(gguf_files, ',{"rfilename":"', stem, ".", q, '.gguf"}')
        out[rows] = cat_strings("[", gguf_files, "]")
    keep = rng.random(n) < 0.97  # a few listings come without siblings
    return np.where(keep, out, _ABSENT)


def _truth(ids, pid, relation, declared, tag_parent) -> pd.DataFrame:
    frames = []
    for j, p in enumerate(pid):
        has = np.array([x is not None for x in p])
        if not has.any():
            continue
        frames.append(
            pd.DataFrame(
                {
                    "child": ids[has],
                    "parent": p[has],
                    "relation": relation[has],
                    "declared": declared[has] & (tag_parent[has] == p[has] if j == 0 else True),
                }
            )
        )
    if not frames:
        return pd.DataFrame({"child": [], "parent": [], "relation": [], "declared": []})
    return pd.concat(frames, ignore_index=True)
