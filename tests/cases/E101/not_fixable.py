# expect: E101 E101 E101 E101 E101 E101
# before
from sqlalchemy import SingletonThreadPool, create_engine

oracle = create_engine("oracle://scott:tiger@db/orcl")
mocked = create_engine(DATABASE_URL, strategy="mock", executor=print)
threads = create_engine(DATABASE_URL, poolclass=SingletonThreadPool)
autocommitting = create_engine(DATABASE_URL, autocommit=True)
options = {"sslmode": "require", "connect_timeout": 5}
tls = create_engine(DATABASE_URL, connect_args=options)
unpacked = create_engine(*ARGS)
