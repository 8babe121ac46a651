"""The interop app stores nothing: its metrics read the runs and the console's worker rows."""
