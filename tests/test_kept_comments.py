"""Comments outside the rewritten span survive a migration: the comment line above an import the rewrite
removes, the blank line between import groups, and a tool pragma on a statement the rewrite breaks."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from sqlasync.analysis import migrate
from sqlasync.codemods.core.pragmas import pragmas_kept_on_their_line
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.selection import Selection

LEGACY = textwrap.dedent('''\
    """Users."""
    import os
    # --- database imports ---
    from sqlalchemy.orm import Session  # sync session, TODO drop after migration

    from models import User


    def get_user(db: Session, user_id: int):
        return db.query(User).filter(User.id == user_id).first()
''')


def _migrated(source: str, tmp_path) -> str:
    result = migrate(source.encode(), "svc.py", Config(root=tmp_path), FAMILIES, Selection(), "async")
    assert result.updated is not None and not result.error
    return result.updated.decode()


def test_comment_above_a_removed_import_and_the_group_separator_stay(tmp_path) -> None:
    output = _migrated(LEGACY, tmp_path)
    assert "from sqlalchemy.orm import Session" not in output
    assert "TODO drop after migration" not in output  # the removed import's own comment goes with it
    assert output.startswith('"""Users."""\nimport os\n# --- database imports ---\n\nfrom models import User\n')


def test_pragma_stays_on_the_first_line_of_a_statement_the_rewrite_breaks(tmp_path) -> None:
    source = LEGACY.replace(
        "db.query(User).filter(User.id == user_id).first()",
        'db.query(User).filter(User.id == user_id, User.name == "a long name that makes the query wrap")'
        ".order_by(User.id).first()  # type: ignore[attr-defined]")
    output = _migrated(source, tmp_path)
    body = output[output.index("async def get_user"):]
    assert body.splitlines()[1] == "    return (  # type: ignore[attr-defined]", body
    assert output.count("# type: ignore[attr-defined]") == 1
    compile(output, "svc.py", "exec")


@pytest.mark.parametrize(("original", "updated", "expected"), [
    # Broken over lines by the rewrite: the pragma goes back to the first line.
    ("x = f(a, b)  # noqa: E501\n", "x = f(\n    a,\n    b,\n)  # noqa: E501\n", "x = f(  # noqa: E501\n    a,\n    b,\n)\n"),
    # Already several lines before the rewrite: the pragma was written where it is.
    ("x = f(\n    a,\n)  # noqa: E501\n", "x = g(\n    a,\n)  # noqa: E501\n", "x = g(\n    a,\n)  # noqa: E501\n"),
    # Not a pragma: an ordinary trailing comment is the statement's, and stays at its end.
    ("x = f(a, b)  # the sum\n", "x = f(\n    a,\n    b,\n)  # the sum\n", "x = f(\n    a,\n    b,\n)  # the sum\n"),
    # The first line ends inside a string: no place for a comment there, nothing moves.
    ("x = f(a)  # type: ignore\n", 'x = f("""a\nb""", c)  # type: ignore\n', 'x = f("""a\nb""", c)  # type: ignore\n'),
    # Inside a block, with CRLF line endings.
    ("def g():\r\n    x = f(a, b)  # noqa\r\n", "def g():\r\n    x = f(\r\n        a,\r\n    )  # noqa\r\n",
     "def g():\r\n    x = f(  # noqa\r\n        a,\r\n    )\r\n"),
])
def test_pragmas_kept_on_their_line(original: str, updated: str, expected: str) -> None:
    result = pragmas_kept_on_their_line(cst.parse_module(original), cst.parse_module(updated))
    assert result.code == expected


def test_a_comment_among_the_arguments_of_a_crlf_module_keeps_every_line_ending_crlf(tmp_path) -> None:
    source = textwrap.dedent("""\
        from sqlalchemy.orm import Session

        from models import User


        def get_users(db: Session):
            return db.query(User).filter(
                User.active == 1,  # only those who can log in
                User.age > 17,
            ).all()
    """).replace("\n", "\r\n")
    output = _migrated(source, tmp_path)
    assert "# only those who can log in" in output and "select(User)" in output
    assert output.count("\r") == output.count("\n") == output.count("\r\n"), repr(output)
    compile(output, "svc.py", "exec")
