"""Allow ``python -m stimgen``."""

from .cli import main

main()
