"""Allow ``python -m stimgen``."""

from .cli import main

# Guarded: Dask's worker processes are spawned and import the main module again.
if __name__ == "__main__":
    main()
