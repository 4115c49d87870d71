from sqlalchemy.orm import Session


class Transaction:
    """Commits when the block ends; `finish()` ends it by hand, through `__exit__`: `__exit__` cannot become
    `__aexit__` (only a `with` statement can become `async with`), so it stays sync, with the reason."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.session.commit()


def finish(transaction: Transaction) -> None:
    transaction.__exit__(None, None, None)


def save(session: Session) -> None:
    with Transaction(session):
        pass
