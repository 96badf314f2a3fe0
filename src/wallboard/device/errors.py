"""The wallboard's exception tree.

Each error also subclasses the matching builtin so callers that only know the
builtin (``ValueError``, ``OSError``) still catch it.
"""


class WallboardError(Exception):
    """Base of every error the wallboard raises on purpose."""


class ConfigError(WallboardError, ValueError):
    """A config file is missing, unreadable or invalid.

    ``problems`` holds one human-readable line per problem, each naming the
    file, the key path and what was expected.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class CacheError(WallboardError, OSError):
    """The local cache cannot be opened even after moving a bad file aside."""
