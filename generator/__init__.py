"""clientgen: turn an OpenAPI spec into a typed, fast Python client package."""

__version__ = "0.1.0"
