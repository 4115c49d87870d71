from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Query(Base):
    __tablename__ = "saved_queries"
    id = Column(Integer, primary_key=True)
    text = Column(String)


class SearchLog(Base):
    __tablename__ = "search_log"
    id = Column(Integer, primary_key=True)
    query = Column(String)


def saved(text):
    return Query(text=text)


def log_terms(log):
    return SearchLog.query.distinct(), SearchLog.query.desc(), log.query
