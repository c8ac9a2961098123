"""`python -m codegen`: see codegen.driver."""

import sys

from reglet_codegen.driver import main

sys.exit(main())
