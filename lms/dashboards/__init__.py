"""Completion and understanding across the trust: SQL aggregates, plotly charts, CSV, a read API.

Layers, imported one way: views (*_views.py) -> selection and page builders (completion_page,
understanding_page) -> measures (completion, trends, scores, authorisations, understanding,
team_records) -> kept counts (kept_reads, kept_counts) and shared SQL (required, periods, choices)
-> scope, privacy -> lms.models. docs/architecture.md describes the layout.
"""
