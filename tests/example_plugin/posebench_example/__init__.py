"""An example third-party plugin package for posebench (used by the test suite)."""
