"""Allot: split shared money across projects."""

__version__ = "0.1.0"
