"""The personal-data office: consent, erasure requests, subject access, retention (152-FZ)."""
