"""``python -m motcua``: the command line, as the stack's services start it."""

from motcua.cli import main

main()
