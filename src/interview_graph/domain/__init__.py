"""The domain: ids, transcripts, sentences, analyses and events. Imports nothing from adapters."""
