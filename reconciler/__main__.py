"""`python -m reconciler` runs the sesctl command line."""

from .cli import main

main()
