"""Browser app."""
