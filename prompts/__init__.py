"""Versioned prompt templates for the model path, shipped as package data (read with importlib.resources)."""
