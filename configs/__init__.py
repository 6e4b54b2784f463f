"""The shipped config files, installed as the package ``posebench_configs`` (this folder is its source).

``configs/MODEL/NAME.py`` is the config ``--config NAME`` of ``posebench train MODEL``; ``posebench.config``
finds them through this package, so a wheel install trains like a checkout. Files under ``_base_/`` are
shared pieces the model configs inherit, never selected on their own. Nothing here is imported as Python:
the files are read by ``posebench.config.load_config``.
"""
