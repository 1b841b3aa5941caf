"""Exceptions raised by :mod:`stimgen`.

Every error of the package derives from :class:`StimgenError`.  Errors coming
from the model package (:class:`resonance.ResonanceError`) are reported by the
command line the same way.
"""

__all__ = ["StimgenError", "ParameterError", "PresetError", "DeviceError"]


class StimgenError(Exception):
    """Root of every error raised by :mod:`stimgen`."""


class ParameterError(StimgenError, ValueError):
    """An argument is outside what is allowed; the message says what is."""


class PresetError(ParameterError):
    """A preset file is invalid; the message names file, key path and value."""


class DeviceError(StimgenError):
    """An audio device or the PortAudio library is missing or busy."""
