"""cprlint: policy-as-code for the LLM cost per resolution of customer-support automation."""

from __future__ import annotations

__version__ = "0.1.0"
