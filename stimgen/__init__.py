"""stimgen: design, score and play audio stimuli with the :mod:`resonance` model.

Importing :mod:`stimgen` loads nothing heavy: PortAudio (``sounddevice``) is
imported only inside the playback code.
"""

from .errors import DeviceError, ParameterError, PresetError, StimgenError

__version__ = "0.1.0"

__all__ = ["StimgenError", "ParameterError", "PresetError", "DeviceError", "__version__"]
