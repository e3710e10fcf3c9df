"""HTTP API (FastAPI). The only place FastAPI is imported."""
