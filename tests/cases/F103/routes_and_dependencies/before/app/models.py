class User:
    name: str
    active: bool
