"""Normalisation: vectorised polars first, per-value libraries over distinct values only."""
