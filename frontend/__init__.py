"""Frontend app."""
