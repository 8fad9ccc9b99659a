"""`python -m invtl.cli`: the same as the `invtl` command."""

import sys

from invtl.cli import main

sys.exit(main())
