from sqlalchemy.orm import Session

from app.models import Food


def merge_foods(db: Session, into_id: int, other_id: int) -> Food:
    into = db.get(Food, into_id)
    other = db.get(Food, other_id)
    # every ingredient of the other food moves over
    into.ingredients += other.ingredients
    db.delete(other)
    db.commit()
    return into
