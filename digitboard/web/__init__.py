"""The web board: a Flask application that reads a drawn session exactly as `digitboard replay`
does. The server keeps no state between requests; the page sends its whole session each time.

Layout as in Flask's tutorial: the application factory in `app.py`, routes in `page.py` and
`api.py`, `templates/` and `static/` beside them, and `server.py` to run it: on waitress in one
process (`waitress_server.py`), or under gunicorn in several (`gunicorn_server.py`). Any WSGI
server can serve `digitboard.web:create_app()`.
"""

from digitboard.web.app import WebConfig, create_app

__all__ = ["WebConfig", "create_app"]
