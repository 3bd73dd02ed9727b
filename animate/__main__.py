import sys

from animate.cli import main

sys.exit(main())
