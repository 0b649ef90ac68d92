"""Exports as registered classes: the base classes (`base.py`) and the registry by identifier
(`registry.py`). They sit in core so that any app can define an export in its own `exporters.py`
and register it without importing `reports`, which renders and serves them."""
