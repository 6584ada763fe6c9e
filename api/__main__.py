"""Command line: `python -m api serve|migrate|demo|create-token`."""

from api.cli import main

main()
