"""Security regressions of issue 12: each test failed before its fix."""
