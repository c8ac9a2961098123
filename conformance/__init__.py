"""The language-neutral host conformance suite: cases as data, local servers, ABI vectors, runners."""
