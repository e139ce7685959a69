"""Versioned schema migrations (Alembic). Applied by :func:`artiflow.metadata.migrate.ensure_schema`."""
