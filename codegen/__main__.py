"""`python -m codegen`: see codegen.driver."""

import sys

from codegen.driver import main

sys.exit(main())
