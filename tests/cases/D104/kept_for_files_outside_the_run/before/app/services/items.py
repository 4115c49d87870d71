from app.core.container import Container
from app.models import Item


def rename_item(item_id, name):
    db = Container.resolve("db_session")
    item = db.get(Item, item_id)
    item.name = name
    db.commit()
    return item.id

