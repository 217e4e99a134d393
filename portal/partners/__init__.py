"""Partner systems (village apps, the national complaint system, researchers)
that use the Open311 API with a key: the keys (``keys.py``), the command line
(``flask partners``) and the admin page."""
