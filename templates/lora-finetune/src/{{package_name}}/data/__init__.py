"""Instruction data: the embedded dataset, prompt-masked encoding, and batching."""
