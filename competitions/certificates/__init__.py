"""Printable documents (certificates, check-in lists) rendered with reportlab."""
