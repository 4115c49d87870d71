"""`$n` SQL as `text()` SQL: named binds only where the lexer finds parameters, casts, ANY, layout, refusals."""

from __future__ import annotations

import libcst as cst
import pytest
from sqlalchemy import text

from sqlasync.codemods.core.nodes import string_value
from sqlasync.codemods.raw_asyncpg.sql import UnsafeForText, bind_sql


def _bind(source: str, names=lambda index: f"p{index}"):
    literal = cst.parse_expression(source)
    bound = bind_sql(literal, string_value(literal), names)
    return string_value(bound.literal), bound


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM t WHERE id = $1", "SELECT * FROM t WHERE id = :p1"),
    ("SELECT '$1', $1 FROM t", "SELECT '$1', :p1 FROM t"),
    ("SELECT E'it\\'s $1', 'a''b $1', $2", "SELECT E'it\\'s $1', 'a''b $1', :p2"),
    ('SELECT "col$1", $1 FROM t', 'SELECT "col$1", :p1 FROM t'),
    ("SELECT $1 -- and $2\nFROM t", "SELECT :p1 -- and $2\nFROM t"),
    ("SELECT /* $2 /* nested $3 */ */ $1", "SELECT /* $2 /* nested $3 */ */ :p1"),
    ("SELECT $body$ $1 $body$, $1", "SELECT $body$ $1 $body$, :p1"),
    ("SELECT price$1 FROM t WHERE a = $1", "SELECT price$1 FROM t WHERE a = :p1"),
])
def test_only_parameters_outside_literals_comments_identifiers_and_bodies_are_bound(sql, expected):
    rewritten, bound = _bind(repr(sql))
    assert rewritten == expected
    assert set(text(rewritten).compile().params) == set(bound.names.values())


@pytest.mark.parametrize(("sql", "expected"), [
    ("WHERE id = $1::int", "WHERE id = CAST(:p1 AS int)"),
    ("SET meta = meta || $1::jsonb", "SET meta = meta || CAST(:p1 AS jsonb)"),
    ("VALUES ($1::double precision)", "VALUES (CAST(:p1 AS double precision))"),
    ("VALUES ($1 :: varchar(20)[])", "VALUES (CAST(:p1 AS varchar(20)[]))"),
    ("WHERE mood = $1::public.\"Mood\"", "WHERE mood = CAST(:p1 AS public.\"Mood\")"),
    ("WHERE id = (x)::int + $1", "WHERE id = (x)::int + :p1"),
])
def test_casts_on_parameters_become_cast_which_text_reads(sql, expected):
    rewritten, _ = _bind(repr(sql))
    assert rewritten == expected
    assert "p1" in text(rewritten).compile().params


def test_a_parameter_used_twice_is_one_bind_named_after_its_argument():
    rewritten, bound = _bind(repr("WHERE a = $1 AND (t ILIKE $2 OR b ILIKE $2)"),
                             {1: "owner_id", 2: "term"}.__getitem__)
    assert rewritten == "WHERE a = :owner_id AND (t ILIKE :term OR b ILIKE :term)"
    assert bound.names == {1: "owner_id", 2: "term"}


@pytest.mark.parametrize(("sql", "expected"), [
    ("WHERE id = ANY($1)", "WHERE id IN :p1"),
    ("WHERE id = any ( $1::int[] ) ORDER BY id", "WHERE id IN :p1 ORDER BY id"),
    ("WHERE id <> ALL($1)", "WHERE id NOT IN :p1"),
    ("WHERE id != ALL($1)", "WHERE id NOT IN :p1"),
])
def test_membership_in_an_array_parameter_becomes_an_expanding_in(sql, expected):
    rewritten, bound = _bind(repr(sql))
    assert rewritten == expected
    assert bound.expanding == {"p1"}


@pytest.mark.parametrize("sql", [
    "WHERE id >= ANY($1)",
    "WHERE id = ANY($1) OR owner = $1",
    "WHERE id = ANY(ARRAY[$1])",
])
def test_other_uses_of_any_stay_postgresql_arrays(sql):
    _, bound = _bind(repr(sql))
    assert bound.expanding == frozenset()


@pytest.mark.parametrize(("sql", "why"), [
    ("SELECT ':late', $1", ":late"),
    ("SELECT 'a\\:b', $1", "escaped colon"),
    ("SELECT 'unterminated, $1", "lexer"),
])
def test_sql_that_text_would_misread_is_refused(sql, why):
    with pytest.raises(UnsafeForText, match=why):
        _bind(repr(sql))


def test_double_colon_casts_on_expressions_are_not_binds():
    rewritten, bound = _bind(repr("SELECT '{}'::jsonb, $1"))
    assert rewritten == "SELECT '{}'::jsonb, :p1"
    assert set(text(rewritten).compile().params) == {"p1"}


def test_each_piece_of_a_multi_line_literal_keeps_its_place():
    source = '(\n    "SELECT a FROM t "\n    "WHERE id = $1::int "\n    "AND note <> \'$2\'"\n)'
    literal = cst.parse_expression(source)
    bound = bind_sql(literal, string_value(literal), lambda index: f"p{index}")
    assert cst.Module([]).code_for_node(bound.literal) == (
        '(\n    "SELECT a FROM t "\n    "WHERE id = CAST(:p1 AS int) "\n    "AND note <> \'$2\'"\n)')


def test_a_parameter_split_across_two_pieces_is_refused():
    with pytest.raises(UnsafeForText, match="split"):
        _bind('("WHERE id = $" "1")')


def test_pieces_with_escapes_are_written_back_with_the_same_value():
    rewritten, _ = _bind('"SELECT \'\\\\n\', $1\\n"')
    assert rewritten == "SELECT '\\n', :p1\n"
