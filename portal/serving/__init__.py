"""Serving the app in production (issue 14 §1): gunicorn's threaded worker
with load shedding (``portal.serving.worker``) and the page it answers with
(``portal.serving.shed_page``). ``gunicorn.conf.py`` at the repository root
puts them together; ``deploy/`` shows the rest (systemd, nginx)."""
