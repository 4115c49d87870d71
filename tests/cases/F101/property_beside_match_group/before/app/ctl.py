import re

from app.repos import get_repos


class Controller:
    def __init__(self, session):
        self.session = session

    @property
    def group(self):
        return get_repos(self.session).jobs.get_one(1)

    def show(self):
        return self.group


class Search:
    quoted = re.compile(r'"(.*?)"')

    @classmethod
    def words(cls, text):
        return [match.group() for match in cls.quoted.finditer(text)] + [re.match("a", text).group(0)]


PATTERN = re.compile("a+")


def first(text):
    found = PATTERN.match(text)
    return found.group(0) if found else ""
