"""Opora's analytics: pure Python on Polars. It never imports Django (enforced by import-linter)."""
