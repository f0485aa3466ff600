"""`python -m api.cli`: the `execplan` command."""

import sys

from api.cli.main import main

sys.exit(main())
