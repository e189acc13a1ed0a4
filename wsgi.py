"""Entry point for gunicorn: gunicorn wsgi:app"""

from competitions import create_app

app = create_app()
