"""Exceptions raised by :mod:`resonance`.

Every error of the package derives from :class:`ResonanceError`, so a caller
can catch the whole family with one ``except`` clause.
"""

__all__ = ["ResonanceError", "ParameterError", "DataFileError"]


class ResonanceError(Exception):
    """Root of every error raised by :mod:`resonance`."""


class ParameterError(ResonanceError, ValueError):
    """An argument or a value read from a file is outside what is allowed.

    The message names the parameter, the offending value and what is allowed.
    """


class DataFileError(ParameterError):
    """A user-supplied file (audio, connectome, cache) cannot be used.

    The message names the file and the problem.
    """
