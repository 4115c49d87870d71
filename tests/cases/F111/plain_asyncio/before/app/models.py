class Export:
    id: int
    filename: str
    archived: bool
