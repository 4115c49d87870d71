"""E: engine and bootstrap code, engine calls, and Alembic's env.py."""
