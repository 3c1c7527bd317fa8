"""Allot inside other tools. Each module imports its host library, so import it only where
that library is installed: `allot.integrations.litellm` (pip install "allot[litellm]")."""
