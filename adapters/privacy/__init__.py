"""Personal data under 152-FZ: what erasure reaches beyond the personal-data store, the access
log, subject access exports and retention (see docs/PRIVACY.md)."""
