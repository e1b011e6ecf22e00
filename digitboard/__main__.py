import sys

from digitboard.cli import main

sys.exit(main())
