"""The namespace lab tests (a package so its conftest does not shadow tests/system/conftest)."""
