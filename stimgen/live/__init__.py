"""Live sessions (``stimgen play``): real-time playback with the model listening along.

Modules, in the order a session uses them:

* :mod:`~stimgen.live.program` -- what plays: a preset rendered and mastered
  by ``stimgen generate``'s code, an audio file made safe, or an adaptive
  preset mixed live from its layers;
* :mod:`~stimgen.live.thermostat` -- the controller that steers an adaptive
  session during the hold;
* :mod:`~stimgen.live.safety` -- the streaming loudness governor and
  true-peak limiter of adaptive sessions;
* :mod:`~stimgen.live.ring` and :mod:`~stimgen.live.engine` -- the ring
  buffer between the worker and the audio callback, and the engine that runs
  both (testable without a device);
* :mod:`~stimgen.live.monitor` -- the model (:class:`resonance.Scorer`) fed
  with the played frames;
* :mod:`~stimgen.live.record` -- the atomic recording;
* :mod:`~stimgen.live.device` -- PortAudio (the only module importing
  :mod:`sounddevice`, and only inside its functions);
* :mod:`~stimgen.live.view` -- the live terminal view and the summary.

Importing this package loads neither PortAudio nor rich.
"""

from .engine import Engine
from .monitor import ModelMonitor
from .program import AdaptiveProgram, FixedProgram, adaptive_program, file_program, fixed_program, render_session
from .record import Recorder
from .ring import RingBuffer
from .thermostat import Thermostat

__all__ = [
    "Engine",
    "ModelMonitor",
    "AdaptiveProgram",
    "FixedProgram",
    "adaptive_program",
    "file_program",
    "fixed_program",
    "render_session",
    "Recorder",
    "RingBuffer",
    "Thermostat",
]
