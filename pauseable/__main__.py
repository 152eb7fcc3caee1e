import sys

from pauseable.cli import main

sys.exit(main())
