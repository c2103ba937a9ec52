"""Constellation: the atlas pipeline and library for the Hugging Face Hub model genealogy."""

__version__ = "0.1.0"
