"""The command line: `execplan` and its commands, and how they print (Rich tables, safe text)."""
