"""`python -m reglet_codegen --config FILE [--check]`: an alias of `reglet-sdk codegen`."""

import sys

from reglet_sdk.cli import main

sys.exit(main(["codegen", *sys.argv[1:]]))
