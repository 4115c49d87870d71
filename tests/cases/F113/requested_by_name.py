# expect: F104 F104 F104 F104 F104 F113 F113 F113 F113 F113 Q101 Q101 S101 S101 S102 S102 S102 S102
# Fixtures requested by name inside a test that becomes async: `admin_user` and `plain_user` become async (they
# commit) and `admin_name` is sync over `admin_user`, so each `request.getfixturevalue("...")` of them becomes a
# parameter (requested once, added last); `settings` is sync all the way down and stays requested by name; a
# computed name is reported with the reason.
# before
import pytest
from sqlalchemy.orm import Session

from app.models import User


@pytest.fixture
def settings():
    return {"page_size": 10}


@pytest.fixture
def admin_user(db: Session):
    user = User(name="admin", admin=True)
    db.add(user)
    db.commit()
    return user


@pytest.fixture
def plain_user(db: Session):
    user = User(name="plain", admin=False)
    db.add(user)
    db.commit()
    return user


@pytest.fixture
def admin_name(admin_user):
    return admin_user.name


@pytest.mark.parametrize("as_admin", [True, False])
def test_users_seen(request, db: Session, as_admin):
    user = request.getfixturevalue("admin_user") if as_admin else request.getfixturevalue("plain_user")
    owner = request.getfixturevalue("admin_user")
    page_size = request.getfixturevalue("settings")["page_size"]
    assert db.query(User).filter(User.id == owner.id).count() == 1
    assert user.name in {"admin", "plain"} and page_size == 10
    assert request.getfixturevalue("admin_name") == "admin"


def test_computed_name(request, db: Session):
    name = "admin_user"
    user = request.getfixturevalue(name)
    assert db.query(User).filter(User.id == user.id).count() == 1
# after
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User


@pytest.fixture(scope="session")
def anyio_backend():
    # Migrated async tests and fixtures run on asyncio through the anyio pytest plugin.
    return "asyncio"


@pytest.fixture
def settings():
    return {"page_size": 10}


@pytest.fixture
async def admin_user(db: AsyncSession, anyio_backend):
    user = User(name="admin", admin=True)
    db.add(user)
    await db.commit()
    return user


@pytest.fixture
async def plain_user(db: AsyncSession, anyio_backend):
    user = User(name="plain", admin=False)
    db.add(user)
    await db.commit()
    return user


@pytest.fixture
def admin_name(admin_user):
    return admin_user.name


@pytest.mark.parametrize("as_admin", [True, False])
@pytest.mark.anyio
async def test_users_seen(request, db: AsyncSession, as_admin, admin_user, plain_user, admin_name):
    user = admin_user if as_admin else plain_user
    owner = admin_user
    page_size = request.getfixturevalue("settings")["page_size"]
    assert await db.scalar(select(func.count()).select_from(User).where(User.id == owner.id)) == 1
    assert user.name in {"admin", "plain"} and page_size == 10
    assert admin_name == "admin"


@pytest.mark.anyio
async def test_computed_name(request, db: AsyncSession):
    name = "admin_user"
    user = request.getfixturevalue(name)
    assert await db.scalar(select(func.count()).select_from(User).where(User.id == user.id)) == 1
