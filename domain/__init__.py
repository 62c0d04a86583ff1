"""The school-card domain: aggregates, their events and decisions. No I/O lives here."""
