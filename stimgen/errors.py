"""Exceptions raised by :mod:`stimgen`.

Every error of the package derives from :class:`StimgenError`.  Errors coming
from the model package (:class:`resonance.ResonanceError`) are reported by the
command line the same way.
"""

from resonance.errors import ParameterError as _ModelParameterError

__all__ = ["StimgenError", "ParameterError", "PresetError", "DeviceError"]


class StimgenError(Exception):
    """Root of every error raised by :mod:`stimgen`."""


class ParameterError(StimgenError, _ModelParameterError):
    """An argument is outside what is allowed; the message says what is.

    It is also a :class:`resonance.errors.ParameterError` (and a
    ``ValueError``), so one ``except`` clause catches bad values from either
    package.
    """


class PresetError(ParameterError):
    """A preset file is invalid; the message names file, key path and value."""


class DeviceError(StimgenError):
    """An audio device or the PortAudio library is missing or busy."""
