# expect: E101 E102
# before
from sqlalchemy import MetaData, create_engine
from sqlalchemy.orm import sessionmaker


class Exporter:
    # The engine and factory live on the instance; their uses (reflection, `with self.engine.connect()`)
    # are not followed, so both stay sync rather than leave those uses on an AsyncEngine.
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.session_maker = sessionmaker(bind=self.engine)

    def tables(self) -> list[str]:
        meta = MetaData()
        meta.reflect(bind=self.engine)
        return sorted(meta.tables)
