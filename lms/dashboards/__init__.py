"""Completion and understanding across the trust: SQL aggregates, plotly charts, CSV, a read API."""
