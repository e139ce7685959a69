"""Adapters for workflow engines (Prefect, Dagster), each behind its own optional extra."""
