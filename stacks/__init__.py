"""The mladmin Pulumi program (`__main__.py`), its settings and one config file per environment."""
