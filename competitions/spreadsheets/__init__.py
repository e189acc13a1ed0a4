"""Spreadsheets the platform hands out: the one .xlsx writer and the one way to send a file."""
