"""Read models: projections that turn the ledger's events into query tables."""
