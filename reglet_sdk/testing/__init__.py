"""Testing aids for plugin authors and for the SDK's own conformance suite."""
