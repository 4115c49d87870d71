import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User


@pytest.mark.anyio
async def test_admin_is_stored(request, db: AsyncSession, admin_user):
    admin = admin_user
    assert await db.scalar(
        select(func.count()).select_from(User).where(User.name == admin.name)
    ) == 1
