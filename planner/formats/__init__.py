"""Task lists read into one validated tasks file: the native file's models (`schema`), the one
validator (`validate`), and the readers of each format."""
