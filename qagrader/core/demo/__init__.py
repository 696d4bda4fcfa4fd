"""The demo workspace: generated cases, their text, and the build."""
