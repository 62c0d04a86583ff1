"""The composition root: settings and the wiring every entry point (`cli/`) calls."""
