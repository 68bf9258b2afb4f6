"""Data files shipped with cprlint: the JSON Schemas of policies and fixtures."""
