"""A fake Hugging Face Hub on 127.0.0.1 for tests, benchmarks and the offline demo.

It serves GET /api/models as ../shared/docs/hub-api.md describes, from a JSONL file or a synthetic Hub,
and injects the faults of that document's failure table on demand.
"""
