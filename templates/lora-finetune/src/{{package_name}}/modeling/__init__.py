"""Models: the tiny default, loading by hub id or path, LoRA, and the training loss."""
