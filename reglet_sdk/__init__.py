"""reglet-sdk: write Reglet compliance-check plugins in Python, run them as WebAssembly components."""

__version__ = "0.1.0"
