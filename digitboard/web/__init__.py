"""The web board: a Flask application that reads a drawn session exactly as `digitboard replay`
does. The server keeps no state between requests; the page sends its whole session each time.

Layout as in Flask's tutorial: the application factory in `app.py`, routes in `page.py` and
`api.py`, `templates/` and `static/` beside them, and `server.py` (with `workers.py`) to run it
on a production WSGI server. `gunicorn "digitboard.web:create_app()"` serves it too.
"""

from digitboard.web.app import WebConfig, create_app

__all__ = ["WebConfig", "create_app"]
