"""Parsing Python integration code with libcst, keeping positions.

libcst is imported when a Python file is parsed: it takes longer to import
than a pre-commit run on a script takes altogether.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from d365lint.model import Location, SourceFile

if TYPE_CHECKING:
    import libcst
    from libcst.metadata import CodeRange, MetadataWrapper


class PythonSyntaxError(ValueError):
    """The file is not valid Python."""


class PythonModule(NamedTuple):
    """A parsed Python file and the positions of its nodes."""

    source: SourceFile
    wrapper: MetadataWrapper
    positions: dict[libcst.CSTNode, CodeRange]

    @property
    def module(self) -> libcst.Module:
        return self.wrapper.module

    @property
    def component(self) -> str:
        return f"file:{self.source.location.display_path}"

    def location(self, node: libcst.CSTNode) -> Location:
        span = self.positions.get(node)
        base = self.source.location
        if span is None:
            return base
        return Location(base.path, span.start.line, span.start.column + 1, base.member, span.end.line, span.end.column + 1)


# CPython's own parser stops at these depths with a SyntaxError.
_TOO_DEEP = ("too many nested parentheses", "too many levels of indentation")


def _refuse_deep_nesting(text: str) -> None:
    """Raise :class:`PythonSyntaxError` for source nested deeper than CPython parses.

    libcst's native parser overflows the C stack on a few thousand nested
    brackets: a segmentation fault that ends the whole run, not an
    exception (found by tests/test_hostile_input.py). CPython's parser
    never recurses that deep and refuses 200 nested brackets, so any file
    it accepts is safe to hand to libcst; other syntax errors are libcst's
    to report, with its positions.
    """
    import ast

    try:
        ast.parse(text)
    except SyntaxError as error:
        if any(reason in str(error.msg) for reason in _TOO_DEEP):
            raise PythonSyntaxError(f"Python source nests too deeply to analyse ({error.msg}, line {error.lineno})") from None
    except (RecursionError, MemoryError) as error:
        raise PythonSyntaxError("Python source nests too deeply to analyse") from error
    except ValueError:
        pass  # null bytes: libcst says what is wrong


def parse_python(source: SourceFile) -> PythonModule:
    """Parse ``source``; raise :class:`PythonSyntaxError` when libcst cannot."""
    import libcst
    from libcst.metadata import MetadataWrapper, PositionProvider

    _refuse_deep_nesting(source.text)
    try:
        wrapper = MetadataWrapper(libcst.parse_module(source.text))
    except libcst.ParserSyntaxError as error:
        raise PythonSyntaxError(f"Python syntax error at line {error.raw_line}: {error.message}") from error
    except RecursionError as error:
        raise PythonSyntaxError("Python source nests too deeply to analyse") from error
    positions = dict(wrapper.resolve(PositionProvider))
    return PythonModule(source, wrapper, positions)
