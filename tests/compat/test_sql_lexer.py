"""The standalone $n lexer: where parameters are, and where they are not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sqlasync.compat.sql_lexer import (
    SQLLexError,
    TokenKind,
    parameter_uses,
    rewrite_parameters,
    split_statements,
    tokenize,
)


def indexes(sql: str) -> list[int]:
    return [use.index for use in parameter_uses(sql)]


def named(sql: str) -> str:
    return rewrite_parameters(sql, lambda use: f":p{use.index}")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM jobs WHERE id = $1", [1]),
        ("SELECT $1, $2, $10, $1", [1, 2, 10, 1]),
        ("SELECT '$1'", []),
        ("SELECT 'it''s $1 ok', $2", [2]),
        (r"SELECT E'\' $1', $2", [2]),
        (r"SELECT e'a\\', $3", [3]),
        ("SELECT 'a\\', $1", [1]),  # standard string: backslash is a plain character
        ('SELECT "weird $1 column" FROM t WHERE x = $2', [2]),
        ('SELECT "a""$1" FROM t', []),
        ("SELECT 1 -- $1 in a comment\n, $2", [2]),
        ("SELECT /* $1 /* nested $2 */ still comment $3 */ $4", [4]),
        ("SELECT $$ $1 $$, $2", [2]),
        ("SELECT $body$ it's $1 $$ $body$, $3", [3]),
        ("SELECT $a$ $b$ $1 $b$ $a$, $2", [2]),
        ("SELECT price$1 FROM t WHERE a$2 = $3", [3]),
        ("SELECT U&'\\0041 $1', U&\"col $2\", $3", [3]),
        ("SELECT B'1010', X'ff', N'$1', $2", [2]),
        ("SELECT data->>'$1' FROM t WHERE data @> $1::jsonb", [1]),
        ("SELECT arr[1:2], $1", [1]),
    ],
)
def test_parameters_are_found_only_outside_literals_identifiers_and_comments(sql: str, expected: list[int]) -> None:
    assert indexes(sql) == expected


@pytest.mark.parametrize(
    ("sql", "cast"),
    [
        ("SELECT $1::int", "int"),
        ("SELECT $1 :: int", "int"),
        ("SELECT $1::double precision", "double precision"),
        ("SELECT $1::character varying(20)", "character varying(20)"),
        ("SELECT $1::varchar(20)[]", "varchar(20)[]"),
        ("SELECT $1::int[][]", "int[][]"),
        ("SELECT $1::timestamp with time zone", "timestamp with time zone"),
        ("SELECT $1::timestamp(3) without time zone", "timestamp(3) without time zone"),
        ("SELECT $1::numeric(10, 2)", "numeric(10, 2)"),
        ('SELECT $1::public."Mood"', 'public."Mood"'),
        ("SELECT $1::uuid, $2", "uuid"),
        ("SELECT $1", None),
        ("SELECT $1 + 1", None),
    ],
)
def test_casts_on_parameters_are_read_whole(sql: str, cast: str | None) -> None:
    assert parameter_uses(sql)[0].cast == cast


def test_cast_span_covers_parameter_and_type() -> None:
    sql = "SELECT $1::timestamp with time zone AS at"
    use = parameter_uses(sql)[0]
    assert sql[use.start : use.end] == "$1::timestamp with time zone"


def test_rewrite_to_named_binds_keeps_everything_else() -> None:
    sql = (
        "INSERT INTO t (a, b, note) VALUES ($1::int, $2, 'costs $3 -- not a comment')"
        " /* $4 */ RETURNING id, $1 AS again"
    )
    assert named(sql) == (
        "INSERT INTO t (a, b, note) VALUES (:p1, :p2, 'costs $3 -- not a comment') /* $4 */ RETURNING id, :p1 AS again"
    )


def test_rewrite_can_keep_casts_for_other_consumers() -> None:
    rendered = rewrite_parameters(
        "SELECT $1::int + $2",
        lambda use: f"CAST(:p{use.index} AS {use.cast})" if use.cast else f":p{use.index}",
    )
    assert rendered == "SELECT CAST(:p1 AS int) + :p2"


def test_rewrite_other_tokens_hook_sees_literals_and_comments() -> None:
    rendered = rewrite_parameters(
        "SELECT '100%' /* 5% */, $1",
        lambda use: f"%(p{use.index})s",
        lambda token: token.text.replace("%", "%%"),
    )
    assert rendered == "SELECT '100%%' /* 5%% */, %(p1)s"


def test_cast_not_on_a_parameter_is_a_cast_token() -> None:
    kinds = [token.kind for token in tokenize("now()::date") if not token.is_trivia]
    assert TokenKind.CAST in kinds
    assert indexes("SELECT now()::date") == []


def test_parameter_index_of_non_parameter_token_is_an_error() -> None:
    with pytest.raises(ValueError):
        tokenize("SELECT")[0].parameter_index


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 'open", "unterminated string literal"),
        ('SELECT "open', "unterminated quoted identifier"),
        ("SELECT /* open /* nested */", "unterminated block comment"),
        ("SELECT $tag$ body", "unterminated dollar-quoted string $tag$"),
        (r"SELECT E'\'", "unterminated string literal"),
    ],
)
def test_unterminated_constructs_raise_with_position(sql: str, message: str) -> None:
    with pytest.raises(SQLLexError, match=re.escape(message)) as raised:
        tokenize(sql)
    assert raised.value.position == 7


def test_dollar_sign_that_starts_nothing_is_punctuation() -> None:
    tokens = [token for token in tokenize("SELECT $ FROM t") if not token.is_trivia]
    assert tokens[1].kind is TokenKind.PUNCTUATION and tokens[1].text == "$"


def test_numbers_are_single_tokens() -> None:
    numbers = [t.text for t in tokenize("SELECT 1, 1.5, .5e-3, 2E10, 1_000") if t.kind is TokenKind.NUMBER]
    assert numbers == ["1", "1.5", ".5e-3", "2E10", "1_000"]


def test_split_statements_ignores_semicolons_inside_literals_and_bodies() -> None:
    script = """
        CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql;
        INSERT INTO t VALUES ('a;b'); -- trailing; comment
        ;
        SELECT ";" FROM t /* ; */
    """
    assert split_statements(script) == [
        "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql",
        "INSERT INTO t VALUES ('a;b')",
        'SELECT ";" FROM t /* ; */',
    ]


def test_split_statements_drops_blank_and_comment_only_pieces() -> None:
    statements = split_statements("SELECT 1; ; -- nothing\n; SELECT 'x;y'")
    assert statements == ["SELECT 1", "SELECT 'x;y'"]


def test_split_statements_keeps_bodies_with_semicolons_whole() -> None:
    statements = split_statements(
        "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; SELECT f()"
    )
    assert statements == [
        "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql",
        "SELECT f()",
    ]


# --- properties -------------------------------------------------------------------------

_sql_alphabet = st.sampled_from(list("abcxyz019 \n\t$:;,.()[]'\"-/*+=<>%_&EeUu\\"))


@given(st.text(_sql_alphabet, max_size=60))
def test_tokens_concatenate_back_to_the_input_or_the_input_is_rejected(sql: str) -> None:
    try:
        tokens = tokenize(sql)
    except SQLLexError:
        return
    assert "".join(token.text for token in tokens) == sql
    assert all(token.text for token in tokens)
    assert [token.start for token in tokens] == sorted({token.start for token in tokens})


_inert = st.one_of(
    st.text(st.sampled_from(list("abc $1;:")), max_size=8).map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.text(st.sampled_from(list("abc $1;:")), max_size=8).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.text(st.sampled_from(list("abc $1;:'")), max_size=8).map(lambda s: f"/* {s} */"),
    st.text(st.sampled_from(list("abc $1;:'")), max_size=8).map(lambda s: f"-- {s}\n"),
    st.text(st.sampled_from(list("abc $1;:'")), max_size=8).map(lambda s: f"$q${s}$q$"),
)


@given(st.lists(st.one_of(_inert, st.integers(1, 12).map(lambda n: f"${n}")), max_size=12))
def test_parameters_are_exactly_the_ones_placed_outside_inert_pieces(pieces: list[str]) -> None:
    sql = " , ".join(pieces)
    placed = [int(piece[1:]) for piece in pieces if piece.startswith("$") and piece[1:].isdigit()]
    assert indexes(sql) == placed
    # Rewriting touches only the parameters: inert pieces survive verbatim.
    rewritten = named(sql)
    for piece in pieces:
        if not (piece.startswith("$") and piece[1:].isdigit()):
            assert piece in rewritten
