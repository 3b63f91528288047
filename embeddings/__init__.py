"""Embeddings app."""
