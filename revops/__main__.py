"""``python -m revops``: the same command line as ``revops``."""
import sys

from revops.cli import main

sys.exit(main())
