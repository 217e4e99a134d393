"""``/office/templates``: the reply templates a supervisor or admin keeps.

An admin and the national office's supervisors edit the national defaults;
any other supervisor edits their own office's overrides: changing a default
there makes the office's own copy, leaving the default for everyone else.
"""

from __future__ import annotations

from flask import abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from forms.reply_templates import (
    LANG_LABELS,
    PURPOSE_LABELS,
    EditTemplateForm,
    NewTemplateForm,
)
from portal.db import transaction
from portal.extensions import db
from portal.tickets import replies
from portal.tickets.models import ReplyTemplate
from portal.tickets.reply_defaults import TemplateText
from portal.web.office import auth, bp, nav
from portal.web.office.auth import staff_required

EDITOR_ROLES = ("supervisor", "admin")
SAVED = _l("The template is saved.")
CHANGED = _l(
    "Someone changed this template since you opened it. Here is how it stands now: "
    "check it and make your change again."
)
nav.register("office.reply_templates", _l("Reply templates"), EDITOR_ROLES, order=80)
EXISTS = _l("This office already has a template with this short name, use and language")


def scope() -> int | None:
    """The office whose rows this person edits; None for the national defaults."""
    office = g.staff_office
    if g.staff.role == "admin" or (office is not None and office.level == "national"):
        return None
    if office is None:
        abort(403)
    return office.id


def _scope_office():
    office_id = scope()
    return g.staff_office if office_id is not None else None


@bp.get("/templates")
@staff_required(*EDITOR_ROLES)
def reply_templates():
    rows = replies.effective(_scope_office())
    return render_template(
        "office/reply_templates.html",
        rows=rows,
        own=scope(),
        purpose_labels=PURPOSE_LABELS,
        lang_labels=LANG_LABELS,
    )


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def reply_template(template_id: int):
    row = db.session.get(ReplyTemplate, template_id)
    if row is None or row not in replies.effective(_scope_office()):
        abort(404)
    form = EditTemplateForm(obj=row)
    if not form.validate_on_submit():
        form.seen.data = form.seen.data or replies.fingerprint(row)
        return _page(form, row)
    text = TemplateText(row.purpose, row.code, row.lang, form.title.data, form.body.data)
    with transaction():
        db.session.refresh(row, with_for_update=True)  # two saves at once: one waits
        if form.seen.data == replies.fingerprint(row):
            replies.save(text, office_id=scope(), staff_id=g.staff.id, now=auth.now())
            return _saved()
    # Someone else's save came first: show the template as it is now.
    fresh = EditTemplateForm(formdata=None, obj=row)
    fresh.seen.data = replies.fingerprint(row)
    fresh.form_errors.append(str(CHANGED))
    return _page(fresh, row, 409)


@bp.route("/templates/new", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def new_reply_template():
    form = NewTemplateForm()
    if form.validate_on_submit():
        text = TemplateText(
            form.purpose.data, form.code.data, form.lang.data, form.title.data, form.body.data
        )
        try:
            with transaction():
                replies.save(text, office_id=scope(), staff_id=g.staff.id, now=auth.now(), new=True)
        except (replies.TemplateExists, IntegrityError):  # never overwrite one
            form.code.errors = [str(EXISTS)]
            return _page(form, None, 409)
        return _saved()
    return _page(form, None)


def _saved():
    flash(str(SAVED))
    return redirect(url_for("office.reply_templates"), 303)


def _page(form, row: ReplyTemplate | None, status: int | None = None):
    status = status or (400 if form.errors or form.form_errors else 200)
    return make_response(
        render_template(
            "office/reply_template.html",
            form=form,
            row=row,
            override=row is not None and row.office_id != scope(),
            purpose_labels=PURPOSE_LABELS,
            lang_labels=LANG_LABELS,
        ),
        status,
    )
