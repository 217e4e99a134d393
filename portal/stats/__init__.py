"""The public statistics of /stats (issue 13 §1): aggregates kept in
``stats_*`` tables by ``flask stats refresh`` (``refresh.py``), small cells
suppressed (``suppress.py``), read per scope for the page, CSV and JSON
(``read.py``, ``formats.py``), the JSON's schema (``schema.py``)."""
