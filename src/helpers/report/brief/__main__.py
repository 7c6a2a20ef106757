"""``python -m helpers.report.brief render|index …`` (see :mod:`helpers.report.brief.cli`)."""

import sys

from helpers.report.brief.cli import main

sys.exit(main())
