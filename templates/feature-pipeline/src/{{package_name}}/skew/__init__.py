"""Train/serve skew: do the batch and serving feature paths agree?"""
