from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from app.fixes import fix_names


class Exporter:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.session_maker = sessionmaker(bind=self.engine)

    def dump(self) -> None:
        with self.session_maker() as session:
            fix_names(session)
