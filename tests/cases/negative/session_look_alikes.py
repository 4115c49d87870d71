import re

import requests
from django.db import models

http = requests.Session()
session = requests.Session()


def fetch(url):
    response = requests.get(url)
    cached = {}.get(url)
    session.get(url)
    session.close()
    http.delete(url)
    return response, cached


def regex(text):
    pattern = re.compile("x")
    return pattern.match(text)


def django_view():
    return models.Job.objects.filter(status="done").first()


def plain_values(s: str, db: dict):
    s.strip()
    db.get("key")
    return db.get("key", None)


class Cache:
    def __init__(self):
        self.session = requests.Session()

    def load(self, url):
        return self.session.get(url)


def typed_http(client: requests.Session, lock):
    client.close()
    with lock.begin():
        return client.get("https://example.org")
