from sqlalchemy.orm import Session


class Units:
    def __init__(self, session: Session):
        self.session = session

    def create(self, item):
        self.session.add(item)
        self.session.commit()
        return item

    def delete(self, item):
        self.session.delete(item)
        self.session.commit()
