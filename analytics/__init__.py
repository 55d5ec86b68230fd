"""Opora's analytics: pure Python on Polars. It never imports Django (enforced by import-linter).

Modules: `schema` (the canonical tidy tables and `validate_frame`), `stats` (Wilson intervals, sample-size
tiers), `indicators` (school indicators and task completion as lazy pipelines).
"""
