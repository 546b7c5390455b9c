"""Thin commands: parse arguments, load settings, call the library, return an exit code."""
