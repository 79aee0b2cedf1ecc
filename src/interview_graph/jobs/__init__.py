"""Uploaded transcripts processed as jobs: the job-queue port, its embedded SQLite backend,
the upload store and the worker that runs jobs through the pipeline."""
