"""``flask evidence sweep`` keeps files that tickets or young drafts use."""

from __future__ import annotations

import os
import time

from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Evidence
from tests.tickets import NOW, answers, submit


def _age(path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_sweep_removes_only_old_unreferenced_files(
    app, app_ctx, db_clean, keyring, tmp_path, monkeypatch
):
    from portal.tickets import evidence

    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path))
    png = evidence.process_upload("a.png", _png(), doc_type="other", keep_gps=False)
    kept_by_ticket = evidence.store(png)
    orphan_old = evidence.store(png)
    orphan_young = evidence.store(png)
    submit(keyring, answers(), evidence=[kept_by_ticket])
    assert db.session.scalar(select(Evidence.stored_name)) == kept_by_ticket.stored_name
    thumb = db.session.scalar(select(Evidence.thumb_name))  # the office's preview, kept too
    for name in (kept_by_ticket.stored_name, thumb, orphan_old.stored_name):
        _age(tmp_path / name, hours=30)
    _age(tmp_path / orphan_young.stored_name, hours=2)  # a draft may still use it

    result = app.test_cli_runner().invoke(args=["evidence", "sweep"])
    assert result.exit_code == 0, result.output
    assert "removed 1 orphan file(s)" in result.output
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {kept_by_ticket.stored_name, thumb, orphan_young.stored_name}


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


assert NOW  # the shared helpers' clock, used by submit()
