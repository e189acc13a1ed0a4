"""Spreadsheets in and out: the one .xlsx writer, the one way to send a file, and the one
bounded pipeline (reader, staging, preview, confirm) that every upload goes through."""
