"""The online side: the key-value feature store and the serving-time feature path."""
