"""Persistence: SQLAlchemy 2 models, repositories, unit of work. The only place SQLAlchemy is imported."""
