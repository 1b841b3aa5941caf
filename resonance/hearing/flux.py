"""Onsets from spectral change: band-wise spectral flux.

A chord change on an organ or a new note in a dense mix may leave a band's
level unchanged while the partials inside it change.  Spectral flux catches
it: the rise of the log magnitude of each frequency bin over the previous
frames, half-wave rectified.  Following Boeck & Widmer (2013, "SuperFlux"),
the reference is maximum-filtered across neighbouring bins (here +-1 bin), so
vibrato and slight mistuning do not count as change, and, as for the level
onsets of :class:`~resonance.frontend.FrontEnd`, it is the highest level over
a short forward-masking span.  The rises are averaged over each cochlear band
with the band's filter weights, giving a drive in dB comparable with the rise
of the band level.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["band_flux_db"]


def band_flux_db(bin_db: np.ndarray, prev: np.ndarray, *, lag: int, hold: int, fb_norm: np.ndarray):
    """Band-wise SuperFlux of consecutive frames (streaming).

    Parameters
    ----------
    bin_db : ndarray, shape (n, n_bins)
        Level of each bin in dB above the floor, frame by frame.
    prev : ndarray, shape (lag + hold - 1, n_bins) or None
        The last frames of the previous call (``None`` at the start: the
        first frame stands for the past).
    lag, hold : int
        The rise is measured ``lag`` frames back against the maximum over
        ``hold`` frames.
    fb_norm : ndarray, shape (n_bands, n_bins)
        Band weights, each row summing to 1.

    Returns
    -------
    flux : ndarray, shape (n_bands, n)
        Mean rise (dB) per band and frame, >= 0.
    prev : ndarray
        State for the next call.

    Examples
    --------
    >>> lv = np.zeros((6, 4)); lv[4:, 1] = 30.0
    >>> f, _ = band_flux_db(lv, None, lag=1, hold=2, fb_norm=np.full((1, 4), 0.25))
    >>> f.round(1).tolist()
    [[0.0, 0.0, 0.0, 0.0, 7.5, 0.0]]
    """
    span = lag + hold - 1
    if prev is None:
        prev = np.repeat(bin_db[:1], span, axis=0)
    ext = np.concatenate([prev, bin_db], axis=0)
    n = bin_db.shape[0]
    # Maximum filter across frequency (+-1 bin), then over the hold frames.
    fmax = ext.copy()
    fmax[:, 1:] = np.maximum(fmax[:, 1:], ext[:, :-1])
    fmax[:, :-1] = np.maximum(fmax[:, :-1], ext[:, 1:])
    if hold == 1:
        ref = fmax[:n]
    else:
        ref = sliding_window_view(fmax[: n + hold - 1], hold, axis=0).max(axis=2)
    rise = bin_db - ref
    np.maximum(rise, 0.0, out=rise)
    return fb_norm @ rise.T, ext[-span:]
