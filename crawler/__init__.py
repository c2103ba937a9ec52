"""The nightly crawler: fetch pages of GET /api/models, validate records, checkpoint, publish a snapshot.

run.py         crawl() and plan() (--dry-run): the orchestration, start to finish
scope.py       Scope (what to ask the Hub) and CrawlSettings (timeouts, retries, budget, drop check)
http.py        huggingface_hub's shared session with a tally of failed attempts by kind; the token
fetch.py       one page: timeout, retries, guards (loops, empty pages, foreign hosts, rejected cursors)
budget.py      the wall-clock budget and its watchdog
records.py     one item -> one snapshot row: validation, lineage, license; tag-only lists -> a snapshot frame
checkpoint.py  the staging folder: page parts, checkpoint, lock
publish.py     snapshot Parquet + manifest, atomically; the drop check
importer.py    `constellation import`: the paper's CSV or a JSONL dump as a snapshot; the reference sets of
               ../shared/data as snapshot frames in memory (for `constellation evaluate`)
errors.py      CrawlError and its subclasses, each with its exit code (docs/crawler.md)
"""
