from sqlalchemy.orm import Session

from app.models import User


def test_admin_is_stored(request, db: Session):
    admin = request.getfixturevalue("admin_user")
    assert db.query(User).filter(User.name == admin.name).count() == 1
