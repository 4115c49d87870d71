from django.db.models import Q

import requests
from elasticsearch import Elasticsearch
from gql import Client, gql

from shop.models import Entry


def recent_entries(author):
    queryset = Entry.objects.filter(author=author).exclude(draft=True).order_by("-published")
    print(queryset.query)
    return queryset.filter(Q(tags__name="sql")).first()


def graph(client: Client):
    return client.query(gql("{ jobs { id } }"))


def search(es: Elasticsearch, term: str):
    return es.query(index="jobs", body={"query": {"match": {"title": term}}})


def http(session: requests.Session):
    return session.query("https://example.com")
