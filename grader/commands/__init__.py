"""The commands of ``python -m grader``, one module each (see grader/cli.py for what a module defines)."""
