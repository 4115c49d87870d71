"""A small pretty-printer for generated expressions: one line when it fits, otherwise broken inside brackets.

Documents nest: `Call` (`name(args)`), `Chain` (`head.a(...).b(...)`, one link per line when
broken), `Await`, `Wrap` (`(inner)suffix`) and `Text`. A document that holds comments must break,
and so must everything around it.
"""

from __future__ import annotations

from dataclasses import dataclass

INDENT = 4


class Doc:
    forced: bool = False

    def flat(self, indent: int) -> str:
        raise NotImplementedError

    def broken(self, layout: Layout, column: int, indent: int, trailing: int) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Layout:
    """`limit` counts absolute columns; indents are relative to `base`, the indentation of the enclosing
    statement (LibCST adds that block indentation to every continuation line by itself)."""

    limit: int
    base: int = 0

    def column(self, indent: int) -> int:
        return self.base + indent

    def render(self, doc: Doc, column: int, indent: int, trailing: int = 0) -> str:
        if not doc.forced:
            text = doc.flat(indent)
            if "\n" not in text and column + len(text) + trailing <= self.limit:
                return text
        return doc.broken(self, column, indent, trailing)


@dataclass(frozen=True)
class Text(Doc):
    """Source text; lines after the first were written at `origin_indent` and move with the document."""

    text: str
    origin_indent: int | None = None

    def flat(self, indent: int) -> str:
        if self.origin_indent is None or "\n" not in self.text:
            return self.text
        return reindent(self.text, indent - self.origin_indent)

    def broken(self, layout: Layout, column: int, indent: int, trailing: int) -> str:
        return self.flat(indent)


@dataclass(frozen=True)
class Call(Doc):
    prefix: str
    args: tuple[Doc, ...]

    @property
    def forced(self) -> bool:  # type: ignore[override]
        return any(arg.forced for arg in self.args)

    def flat(self, indent: int) -> str:
        return f"{self.prefix}(" + ", ".join(arg.flat(indent) for arg in self.args) + ")"

    def broken(self, layout: Layout, column: int, indent: int, trailing: int) -> str:
        inner = indent + INDENT
        several = len(self.args) > 1
        lines = [
            " " * inner + layout.render(arg, layout.column(inner), inner, 1 if several else 0) + ("," if several else "")
            for arg in self.args
        ]
        return f"{self.prefix}(\n" + "\n".join(lines) + "\n" + " " * indent + ")"


@dataclass(frozen=True)
class Link:
    doc: Doc
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chain(Doc):
    head: Doc
    links: tuple[Link, ...]
    head_comments: tuple[str, ...] = ()
    trailing_comments: tuple[str, ...] = ()

    @property
    def forced(self) -> bool:  # type: ignore[override]
        return bool(self.head_comments or self.trailing_comments or self.head.forced
                    or any(link.comments or link.doc.forced for link in self.links))

    def flat(self, indent: int) -> str:
        return self.head.flat(indent) + "".join(link.doc.flat(indent) for link in self.links)

    def broken(self, layout: Layout, column: int, indent: int, trailing: int) -> str:
        pad = " " * indent
        text = "".join(f"{comment}\n{pad}" for comment in self.head_comments)
        text += layout.render(self.head, column, indent)
        for position, link in enumerate(self.links):
            last = position == len(self.links) - 1 and not self.trailing_comments
            for comment in link.comments:
                text += f"\n{pad}{comment}"
            text += f"\n{pad}" + layout.render(link.doc, layout.column(indent), indent, trailing if last else 0)
        for comment in self.trailing_comments:
            text += f"\n{pad}{comment}"
        return text


@dataclass(frozen=True)
class Prefixed(Doc):
    """Unbreakable `prefix` text followed by `inner`."""

    prefix: str
    inner: Doc

    @property
    def forced(self) -> bool:  # type: ignore[override]
        return self.inner.forced

    def flat(self, indent: int) -> str:
        return self.prefix + self.inner.flat(indent)

    def broken(self, layout: Layout, column: int, indent: int, trailing: int) -> str:
        return self.prefix + layout.render(self.inner, column + len(self.prefix), indent, trailing)


class Await(Prefixed):
    def __init__(self, inner: Doc) -> None:
        super().__init__("await ", inner)


@dataclass(frozen=True)
class Comprehension(Doc):
    """`[element for ... in ... if ...]`; broken, one clause per line inside the brackets."""

    opening: str
    element: Doc
    clauses: tuple[Doc, ...]
    closing: str

    @property
    def forced(self) -> bool:  # type: ignore[override]
        return self.element.forced or any(clause.forced for clause in self.clauses)

    def flat(self, indent: int) -> str:
        parts = [self.element.flat(indent), *(clause.flat(indent) for clause in self.clauses)]
        return self.opening + " ".join(parts) + self.closing

    def broken(self, layout: Layout, column: int, indent: int, trailing: int) -> str:
        inner = indent + INDENT
        lines = [layout.render(part, layout.column(inner), inner) for part in (self.element, *self.clauses)]
        return self.opening + "".join(f"\n{' ' * inner}{line}" for line in lines) + "\n" + " " * indent + self.closing


@dataclass(frozen=True)
class Wrap(Doc):
    """`inner` followed by `suffix`; with `parens`, `(inner)suffix`, broken as a bracketed block."""

    inner: Doc
    suffix: str = ""
    parens: bool = True

    @property
    def forced(self) -> bool:  # type: ignore[override]
        return self.inner.forced

    def flat(self, indent: int) -> str:
        inner = self.inner.flat(indent)
        return f"({inner}){self.suffix}" if self.parens else inner + self.suffix

    def broken(self, layout: Layout, column: int, indent: int, trailing: int) -> str:
        if not self.parens:
            return layout.render(self.inner, column, indent, trailing + len(self.suffix)) + self.suffix
        inner = indent + INDENT
        body = layout.render(self.inner, layout.column(inner), inner)
        return "(\n" + " " * inner + body + "\n" + " " * indent + ")" + self.suffix


@dataclass(frozen=True)
class Block(Doc):
    """`inner` as is when it fits on one line, else inside a bracketed block (for breaks outside brackets)."""

    inner: Doc

    @property
    def forced(self) -> bool:  # type: ignore[override]
        return self.inner.forced

    def flat(self, indent: int) -> str:
        return self.inner.flat(indent)

    def broken(self, layout: Layout, column: int, indent: int, trailing: int) -> str:
        return Wrap(self.inner).broken(layout, column, indent, trailing)


def reindent(text: str, delta: int) -> str:
    """Shift every line after the first by `delta` columns (never removing non-blank characters)."""
    if delta == 0:
        return text
    lines = text.split("\n")
    moved = [lines[0]]
    for line in lines[1:]:
        if delta > 0:
            moved.append(" " * delta + line if line.strip() else line)
        else:
            strip = min(-delta, len(line) - len(line.lstrip(" ")))
            moved.append(line[strip:])
    return "\n".join(moved)
