"""mladmin: infrastructure as code for the ML admin."""

__version__ = "0.1.0"
