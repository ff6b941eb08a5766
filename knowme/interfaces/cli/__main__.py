"""``python -m knowme.interfaces.cli``: the ``knowme`` command."""

from knowme.interfaces.cli import main

main()
