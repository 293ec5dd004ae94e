"""``python -m symbackprop``: the command line; Ctrl-C while it is imported is the same one
line and exit code as Ctrl-C while it runs (:func:`symbackprop.cli.main`)."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:
    print("error: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
