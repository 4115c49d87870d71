# expect: D101 E102 E102 E102 E102 E102 E102
# before
from sqlalchemy.orm import Session, scoped_session, sessionmaker

SessionLocal = sessionmaker(
    bind=engine,
    autoflush=False,
    expire_on_commit=True,
)
Unbound = sessionmaker()
Scoped = scoped_session(sessionmaker(bind=engine))
Custom = sessionmaker(bind=engine, class_=AuditedSession)
Committing = sessionmaker(bind=engine, autocommit=True)
Configured = sessionmaker(**SESSION_OPTIONS)
# after
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session, scoped_session, sessionmaker

SessionLocal = async_sessionmaker(
    engine,
    autoflush=False,
    expire_on_commit=True,
)
Unbound = async_sessionmaker(expire_on_commit=False)
Scoped = scoped_session(sessionmaker(bind=engine))
Custom = sessionmaker(bind=engine, class_=AuditedSession)
Committing = sessionmaker(bind=engine, autocommit=True)
Configured = sessionmaker(**SESSION_OPTIONS)
