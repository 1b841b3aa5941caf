"""Sub-commands of the ``stimgen`` CLI, one module each, registered on import."""

from . import generate  # noqa: F401
from . import harmonics  # noqa: F401
from . import optimize  # noqa: F401
from . import play  # noqa: F401
from . import presets  # noqa: F401
from . import score  # noqa: F401

__all__ = ["generate", "harmonics", "optimize", "play", "presets", "score"]
