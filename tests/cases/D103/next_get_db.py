# expect: D103 Q101
# before
from app.core.database import get_db

if __name__ == "__main__":
    db = next(get_db())
    print(db.query(Job).count())
