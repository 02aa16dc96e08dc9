"""The jobs the CLI runs: each a plain function of the settings."""
