"""The `infoshkola` command line."""
