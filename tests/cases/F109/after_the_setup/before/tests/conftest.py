"""The app reads DATABASE_URL at import time."""

import os

import pytest

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")

from app.database import SessionLocal  # noqa: E402


@pytest.fixture
def session_factory():
    return SessionLocal
