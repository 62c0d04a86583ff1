"""HTTP surfaces: GraphQL for people, the terminal ingestion API for devices."""
