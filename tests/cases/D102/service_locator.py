# expect: D102 D102 Q101
# before
from app.core.service_registry import Container


def get_items():
    db = Container.resolve("db_session")
    return db.query(Item).all()


class OrderService:
    def __init__(self, container):
        self.container = container

    def session(self):
        return self.container.resolve("db_session")


def unrelated():
    return Container.resolve("mailer")
