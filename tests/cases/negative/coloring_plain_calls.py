"""Functions calling functions, none of which touches a database: nothing becomes async."""

import json


class Store:
    def __init__(self):
        self.items = {}

    def save(self, key, value):
        self.items[key] = value

    def commit(self):
        return json.dumps(self.items)


def save(store, key, value):
    store.save(key, value)
    return store.commit()


def main():
    store = Store()
    print(save(store, "a", 1))


if __name__ == "__main__":
    main()
