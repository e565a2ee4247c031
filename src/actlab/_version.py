"""The package's version, in a module of its own so that any layer can read it without importing ``actlab``
itself (whose lazy public API names the upper layers)."""

__version__ = "0.1.0"
