"""``python -m pipeline`` runs the ``levelup`` command line."""

from pipeline.cli import main

main()
