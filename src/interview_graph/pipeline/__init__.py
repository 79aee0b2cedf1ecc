"""Reading transcripts and cutting them into parsed sentences, ahead of analysis and storage."""
