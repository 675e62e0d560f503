"""`python -m pos.cli ...`: the `pos` command without the console script (tests and bench use it)."""
import sys

from . import main

sys.exit(main())
