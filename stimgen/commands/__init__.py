"""Sub-commands of the ``stimgen`` CLI, one module each, registered on import."""

from . import harmonics  # noqa: F401
from . import score  # noqa: F401

__all__ = ["harmonics", "score"]
