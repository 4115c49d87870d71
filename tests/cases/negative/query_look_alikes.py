from elasticsearch import Elasticsearch
from gql import Client

es = Elasticsearch()
client = Client()


def search(term):
    elasticsearch = es
    hits = elasticsearch.query(term)
    graph = client.query("{ jobs { id } }")
    return hits, graph


class Search:
    query = "text"


def columns(job):
    return job.query, Search.query == "x", Search.query.lower()


def django_queryset(qs):
    return qs.query.group_by
