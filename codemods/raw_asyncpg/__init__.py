"""R: raw asyncpg pools and connections."""
