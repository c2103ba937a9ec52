"""`python -m constellation` is the `constellation` command."""

from constellation.cli import main

main()
