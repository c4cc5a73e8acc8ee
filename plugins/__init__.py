"""First-party model plugins, each discovered through the `annotator.plugins` entry points."""
