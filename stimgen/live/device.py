"""Sound cards through PortAudio: the only module that imports :mod:`sounddevice`.

``sounddevice`` is imported inside the functions, so importing :mod:`stimgen`
(or this module) needs no PortAudio library.  Every failure becomes a
:class:`~stimgen.errors.DeviceError` whose message says what is missing and
how to go on: install PortAudio, pick a device from ``--list-devices``, or
render the session to a file without a sound card (``--record OUT.wav
--offline``).
"""

from __future__ import annotations

from ..errors import DeviceError

__all__ = ["RENDER_HINT", "import_sounddevice", "output_devices", "format_devices", "resolve_device", "open_stream"]

#: How to go on without a sound card.
RENDER_HINT = "or render the session to a file instead with --record OUT.wav --offline"


def import_sounddevice():
    """Import :mod:`sounddevice`, turning a missing PortAudio library into a clear error.

    Returns
    -------
    module

    Raises
    ------
    DeviceError
        If the PortAudio library cannot be loaded.
    """
    try:
        import sounddevice
    except OSError as exc:
        raise DeviceError(
            f"the PortAudio library is missing ({exc}); install it (Debian/Ubuntu: apt-get install "
            f"libportaudio2; macOS: brew install portaudio), {RENDER_HINT}"
        ) from None
    return sounddevice


def output_devices() -> list[dict]:
    """The output devices PortAudio sees.

    Returns
    -------
    list of dict
        ``index``, ``name``, ``hostapi`` (name), ``channels`` (outputs),
        ``default_sr`` (Hz) and ``default`` (bool) of each device with at
        least one output channel, in PortAudio's order.

    Raises
    ------
    DeviceError
        If PortAudio is missing or cannot list the devices.
    """
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_out = sd.default.device[1]
    except sd.PortAudioError as exc:
        raise DeviceError(f"PortAudio cannot list the audio devices ({exc}); {RENDER_HINT.removeprefix('or ')}") from None
    out = []
    for d in devices:
        if d["max_output_channels"] < 1:
            continue
        out.append({
            "index": int(d["index"]),
            "name": str(d["name"]),
            "hostapi": str(hostapis[d["hostapi"]]["name"]),
            "channels": int(d["max_output_channels"]),
            "default_sr": float(d["default_samplerate"]),
            "default": int(d["index"]) == default_out,
        })
    return out


def format_devices(devices: list[dict]) -> str:
    """A table of output devices (``*`` marks the default), one per line.

    Examples
    --------
    >>> print(format_devices([{"index": 0, "name": "default", "hostapi": "ALSA", "channels": 2,
    ...                        "default_sr": 48000.0, "default": True}]))
      index  name     host API  outputs  default rate
    *     0  default  ALSA            2      48000 Hz
    """
    if not devices:
        return "no audio output device found"
    width = max(len("name"), *(len(d["name"]) for d in devices))
    api = max(len("host API"), *(len(d["hostapi"]) for d in devices))
    lines = [f"  {'index':>5}  {'name':<{width}}  {'host API':<{api}}  outputs  default rate"]
    for d in devices:
        mark = "*" if d["default"] else " "
        lines.append(f"{mark} {d['index']:>5}  {d['name']:<{width}}  {d['hostapi']:<{api}}  {d['channels']:>7}  "
                     f"{d['default_sr']:>9.0f} Hz")
    return "\n".join(lines)


def resolve_device(spec, *, devices: list[dict]) -> dict:
    """The output device that ``spec`` names.

    Parameters
    ----------
    spec : str, int or None
        ``None``: the default output device.  An integer (or a string of
        digits): a device index.  Otherwise a name or a part of one
        (case-insensitive); an exact name wins over partial matches.
    devices : list of dict
        :func:`output_devices`.

    Returns
    -------
    dict
        One entry of ``devices``.

    Raises
    ------
    DeviceError
        If there is no output device, or ``spec`` matches none or several.

    Examples
    --------
    >>> devs = [{"index": 3, "name": "USB Audio", "default": False}, {"index": 5, "name": "HDMI", "default": True}]
    >>> resolve_device("usb", devices=devs)["index"], resolve_device(None, devices=devs)["name"]
    (3, 'HDMI')
    """
    if not devices:
        raise DeviceError(
            "no audio output device found; connect or enable one (check with --list-devices), " + RENDER_HINT
        )
    if spec is None:
        for d in devices:
            if d["default"]:
                return d
        return devices[0]
    text = str(spec).strip()
    if text.lstrip("-").isdigit():
        index = int(text)
        for d in devices:
            if d["index"] == index:
                return d
        shown = ", ".join(str(d["index"]) for d in devices)
        raise DeviceError(f"--device {index} is not an output device; output devices: {shown} (see --list-devices)")
    exact = [d for d in devices if d["name"].lower() == text.lower()]
    if exact:
        return exact[0]
    partial = [d for d in devices if text.lower() in d["name"].lower()]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise DeviceError(f"--device '{text}' matches no output device (see --list-devices for the names)")
    names = ", ".join(f"{d['index']} '{d['name']}'" for d in partial)
    raise DeviceError(f"--device '{text}' matches several output devices ({names}); give the index instead")


def open_stream(device: dict, *, sr: int, n_channels: int, block_frames: int, callback):
    """Open (not start) an output stream on ``device``.

    Parameters
    ----------
    device : dict
        From :func:`resolve_device`.
    sr : int
        Sample rate in Hz.
    n_channels : int
        Channels to play.
    block_frames : int
        Frames per callback.
    callback : callable
        ``callback(outdata, frames, time, status)`` as :class:`sounddevice.OutputStream` wants.

    Returns
    -------
    sounddevice.OutputStream

    Raises
    ------
    DeviceError
        If the device has too few channels, does not take ``sr``, is busy, or
        cannot be opened; the message names it.
    """
    sd = import_sounddevice()
    label = f"{device['index']} '{device['name']}'"
    if device["channels"] < n_channels:
        raise DeviceError(
            f"output device {label} has {device['channels']} output channel(s); sessions are stereo; "
            "choose another with --device (see --list-devices), " + RENDER_HINT
        )
    try:
        sd.check_output_settings(device=device["index"], channels=n_channels, samplerate=sr, dtype="float32")
    except (sd.PortAudioError, ValueError) as exc:
        raise DeviceError(
            f"output device {label} does not play {n_channels} channels at {sr} Hz ({exc}); choose another "
            "with --device (see --list-devices), " + RENDER_HINT
        ) from None
    try:
        return sd.OutputStream(device=device["index"], samplerate=sr, channels=n_channels, dtype="float32",
                               blocksize=block_frames, latency="high", callback=callback)
    except sd.PortAudioError as exc:
        raise DeviceError(
            f"cannot open output device {label} ({exc}); it may be busy: close the program using it or choose "
            "another with --device (see --list-devices), " + RENDER_HINT
        ) from None
