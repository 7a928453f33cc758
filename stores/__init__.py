"""Persistence: SQLAlchemy models and repositories, migrations, the checkpointer, settings.

Knows nothing of the rooms above it (api, graph, tools).
"""
