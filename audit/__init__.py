"""Audit: history with actors and positions, balance as of any instant, exports, the hash
chain over the event log, signed chain heads, and replay verification (see docs/audit.md)."""
