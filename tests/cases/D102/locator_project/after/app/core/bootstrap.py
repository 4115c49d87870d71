def configure_services():
    # Database sessions no longer come from the Container: request handlers take `db: AsyncSession =
    # Depends(get_db)` from app.core.database, other code opens `async with SessionLocal() as db:`.
    pass
