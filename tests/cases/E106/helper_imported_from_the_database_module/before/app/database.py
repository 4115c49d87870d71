import os

from sqlalchemy import create_engine
from sqlalchemy.orm import declarative_base

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
Base = declarative_base()
