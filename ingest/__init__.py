"""Ingest app."""
