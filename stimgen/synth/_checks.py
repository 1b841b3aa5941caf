"""The validators of :mod:`resonance.validation`, raising :class:`stimgen.errors.ParameterError`.

The synthesiser is part of :mod:`stimgen`, so its errors derive from
:class:`stimgen.errors.StimgenError` (one error root per package).
:class:`stimgen.errors.ParameterError` is also a
:class:`resonance.errors.ParameterError` and a ``ValueError``, so callers
catching either still catch these.
"""

from __future__ import annotations

import functools

from resonance import validation as _validation
from resonance.errors import ParameterError as _ModelParameterError

from ..errors import ParameterError

__all__ = ["ParameterError", "check_bool", "check_finite_array", "check_float", "check_int", "check_option"]


def _as_stimgen(func):
    @functools.wraps(func)
    def checked(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _ModelParameterError as exc:
            if isinstance(exc, ParameterError):
                raise
            raise ParameterError(str(exc)) from None

    return checked


check_bool = _as_stimgen(_validation.check_bool)
check_finite_array = _as_stimgen(_validation.check_finite_array)
check_float = _as_stimgen(_validation.check_float)
check_int = _as_stimgen(_validation.check_int)
check_option = _as_stimgen(_validation.check_option)
