"""The nightly crawler: fetch pages of GET /api/models, validate records, checkpoint, publish a snapshot."""
