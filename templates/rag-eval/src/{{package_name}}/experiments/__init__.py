"""The chunking x retriever grid, its results, the significance test and the report."""
