"""The next night of a synthetic Hub: a few percent of models added, removed and changed.

A nightly crawl of the real Hub sees one or two percent of its models come and go, and many more
downloads move. `next_night(frame, share, seed)` makes that change to a raw Hub frame (`synthetic.generate`'s
columns), for the tests and the benchmark of the incremental build (constellation/atlas/reuse.py):

- removed: `share / 2` of the models, drawn at random;
- added: as many models as removed, drawn from another synthetic Hub of the same size (`seed + 1`), so
  their names follow the same statistics (ids the frame already holds are passed over);
- changed: `share` of the remaining models get new downloads and likes (names unchanged), as every night.

So `share` of the ids (and about as much of the distinct names) differ between the two nights. The rows come
in a new random order, as new models are listed among the old ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fakehub.synthetic import SyntheticHubError, generate


def next_night(frame: pd.DataFrame, share: float = 0.02, seed: int = 0) -> pd.DataFrame:
    """`frame` one night later; the same (frame, share, seed) give the same night."""
    if not 0.0 <= share <= 1.0:
        raise SyntheticHubError(f"share must be a fraction of the models in [0, 1], got {share!r}")
    rng = np.random.default_rng(seed)
    n = len(frame)
    removed = int(round(n * share / 2))
    gone = rng.choice(n, size=removed, replace=False)
    keep = np.ones(n, dtype=bool)
    keep[gone] = False
    night = frame[keep].reset_index(drop=True)
    changed = rng.choice(len(night), size=min(len(night), int(round(n * share))), replace=False)
    for column in ("downloads", "likes"):
        if column in night.columns:
            values = night[column].to_numpy(dtype=np.int64, copy=True)
            values[changed] = np.maximum(0, (values[changed] * rng.uniform(0.5, 1.5, len(changed))).round())
            night[column] = values
    pool = generate(max(n, 1), seed + 1)
    pool = pool[~pool["id"].isin(set(frame["id"]))]
    added = pool.iloc[rng.choice(len(pool), size=min(removed, len(pool)), replace=False)]
    # A crawl lists new models among the old ones (the Hub's order), not after them.
    order = rng.permutation(len(night) + len(added))
    return pd.concat([night, added], ignore_index=True).iloc[order].reset_index(drop=True)
