"""Everything that talks to the outside: PostgreSQL, Redis, HTTP peers, card readers, the CLI."""
