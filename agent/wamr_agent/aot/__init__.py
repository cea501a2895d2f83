"""Ahead-of-time compiled app code for Cortex-M (docs/aot.md)."""
