from app.db import session_context
from app.fixes import fix_names


def main():
    with session_context() as session:
        fix_names(session)
