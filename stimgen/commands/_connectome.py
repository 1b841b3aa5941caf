"""The options of every command that takes a connectome, and its loading notes.

``stimgen score``, ``stimgen harmonics`` and ``stimgen optimize`` take the
same ``--connectome`` and ``--entry-regions`` options (one definition here,
so their help and parsing cannot drift apart), and print the warnings of
loading a connectome (dropped regions, entry regions found by label) the
same way: one ``stimgen: warning: ...`` line each.
"""

from __future__ import annotations

import contextlib
import warnings

import typer

__all__ = ["CONNECTOME_HELP", "ENTRY_REGIONS_HELP", "connectome_option", "entry_regions_option", "echo_warnings"]

CONNECTOME_HELP = (
    "Connectome: tvb:66, tvb:68, tvb:76 (default), tvb:96, a TVB connectivity (.zip or folder) "
    "or a square weight matrix (.npy, .csv, .txt, .tsv; labels optional)."
)

ENTRY_REGIONS_HELP = (
    "Entry regions of --connectome: auditory=LABEL,... and/or premotor=LABEL,... (labels, or 0-based "
    "matrix rows); repeat or separate with ';'. Default: found by label (A1/A2, transversetemporal/TT, "
    "superiortemporal/ST; PMCM/PMCDL, caudalmiddlefrontal/CMF)."
)


def connectome_option():
    """A fresh ``--connectome tvb:NN|PATH`` option (default ``None``: the default connectome)."""
    return typer.Option(None, "--connectome", metavar="tvb:NN|PATH", help=CONNECTOME_HELP)


def entry_regions_option():
    """A fresh ``--entry-regions KIND=REGIONS`` option (repeatable; default ``None``: found by label)."""
    return typer.Option(None, "--entry-regions", metavar="KIND=REGIONS", help=ENTRY_REGIONS_HELP,
                        show_default=False)


@contextlib.contextmanager
def echo_warnings():
    """Print the warnings raised in the block as ``stimgen: warning: ...`` lines on stderr, after it.

    Deprecation warnings (of libraries, not of the user's input) are left
    out.  If the block raises, nothing is printed: the error is the message.

    Examples
    --------
    >>> with echo_warnings():  # doctest: +SKIP
    ...     conn = load_connectome(path, entry_regions=entry_regions or None)
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        if not issubclass(warning.category, (DeprecationWarning, PendingDeprecationWarning)):
            typer.echo(f"stimgen: warning: {warning.message}", err=True)
