"""``python -m helpers`` = the ``mtqg`` command."""

import sys

from helpers.cli import main

sys.exit(main())
