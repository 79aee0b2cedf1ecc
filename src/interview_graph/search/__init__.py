"""Full-text search over every interview's sentences: the port, our query language, and the
words and highlights every backend shares."""
