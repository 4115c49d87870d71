from factory import Sequence
from factory.alchemy import SQLAlchemyModelFactory

from app.models import Project

from .database import Session


class ProjectFactory(SQLAlchemyModelFactory):
    name = Sequence(lambda n: f"project-{n}")

    class Meta:
        model = Project
        sqlalchemy_session = Session
        sqlalchemy_session_persistence = "commit"
