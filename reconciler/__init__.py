"""sesctl: keep an Amazon SES v2 account in the state a YAML file describes."""

__version__ = "0.1.0"
