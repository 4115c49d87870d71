from sqlalchemy.engine import Connection


def sync_trigger(conn: Connection, table: str, column: str) -> None:
    """Driver-level SQL in psycopg2's paramstyle, as sqlalchemy-searchable writes it."""
    conn.exec_driver_sql(
        f"CREATE TRIGGER {table}_search BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW "
        "EXECUTE PROCEDURE tsvector_update_trigger(%(column)s, 'pg_catalog.english', name)",
        {"column": column},
    )
