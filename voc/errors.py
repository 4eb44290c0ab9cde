"""Every error voc raises, in one place, with a code (after spaCy's errors.py).

The CLI turns a :class:`VocError` into one line and a non-zero exit; anything else
is a bug. Messages say what is wrong, where (file, line, column) and what to do.
"""

from __future__ import annotations


class VocError(Exception):
    """Base class: an error the user can act on. ``code`` is stable across releases."""

    code = "E000"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class InputFileNotFound(VocError):
    code = "E001"


class UnreadableInput(VocError):
    """The file exists but cannot be parsed in its declared or detected format."""

    code = "E002"


class EmptyInput(VocError):
    code = "E003"


class UnknownColumn(VocError):
    code = "E004"

    def __init__(self, column: str, available: list[str], role: str = "column", path: str | None = None) -> None:
        where = f" in {path}" if path else ""
        shown = ", ".join(repr(c) for c in available[:40]) or "(none)"
        more = f" (+{len(available) - 40} more)" if len(available) > 40 else ""
        super().__init__(f"{role} {column!r} not found{where}. Columns that exist: {shown}{more}. {_fix(role)}")
        self.column = column
        self.available = available


#: how each role is given on the command line, by the role's first word
_ROLE_FLAGS = {"score": "--score KIND=COLUMN", "outcome": "--outcome NAME=COLUMN",
               **{w: f"--conversation {r}=COLUMN" for w, r in (("customer", "customer"), ("thread", "thread"),
                                                               ("reply", "reply_to"), ("author", "author_role"),
                                                               ("opened", "opened"), ("closed", "closed"))}}


def _fix(role: str) -> str:
    word = role.split()[0] if role.split() else "column"
    if word == "keep":
        return "Fix the name in the column mapping's keep list."
    if word == "column":
        return "Pass the right name in the column mapping."
    return f"Pass the right name with {_ROLE_FLAGS.get(word, f'--{word}-col')} or in the column mapping."


class ConfigError(VocError):
    """A config, mapping or taxonomy file is invalid."""

    code = "E005"


class NotFittedError(VocError):
    code = "E006"


class ModelLoadError(VocError):
    """A saved model directory or a packaged model cannot be loaded."""

    code = "E007"


class UnsupportedFormat(VocError):
    code = "E008"


class StoreError(VocError):
    code = "E009"


class PipelineError(VocError):
    """The stage chain is inconsistent (a stage needs a column nothing provides)."""

    code = "E010"


class StoreLocked(StoreError):
    """Another writer holds the store (DuckDB lets one process write a file at a time)."""

    code = "E011"


class StoreNotFound(StoreError):
    code = "E012"


class SparkUnavailable(VocError):
    """The Spark engine was asked for but pyspark or Java is missing."""

    code = "E013"


class ThemeEditsError(ConfigError):
    """A theme edits file is invalid, or does not fit the model it is applied to."""

    code = "E014"
