"""What the staff administration and invitation pages say for each refusal
(``portal.staff.admin.AdminRefused``, ``portal.staff.invitations``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REFUSALS = {
    "role": _l("Choose a role you may give"),
    "office_scope": _l("Choose an office of your region"),
    "office_needed": _l("Choose the office this person works at"),
    "office_regency": _l("A field officer works at a kab/kota office (Dinas Sosial): choose one"),
    "village_needed": _l("Enter the village code of the operator's desa/kelurahan"),
    "village_unknown": _l(
        "There is no desa/kelurahan with that code. Check it, for example 32.01.01.2001"
    ),
    "village_scope": _l("That desa/kelurahan is outside your region"),
    "districts_needed": _l("Enter at least one kecamatan code, for example 32.01.01"),
    "district_bad": _l("Enter kecamatan codes of the office's kab/kota only, for example 32.01.01"),
    "email_taken": _l("An account with this email address already exists"),
    "self": _l("You cannot do this to your own account. Ask another administrator."),
    "last_admin": _l("This is the last active administrator: make another one first."),
    "reset_supervisor": _l(
        "Only an administrator can reset the authenticator of a supervisor's account."
    ),
    "supervisor_role": _l("Only an administrator can change the role of a supervisor's account."),
}

#: ``passwords.password_problem``'s reasons (English, for the command line) as shown here.
PASSWORD_PROBLEMS = {
    "use at least 12 characters": _l("Use at least 12 characters"),
    "this is one of the most common passwords": _l(
        "This is one of the most common passwords: choose another"
    ),
    "do not build the password from the email address": _l(
        "Do not build the password from your email address"
    ),
    "too easy to guess: use a longer phrase of unrelated words": _l(
        "This password is too easy to guess: use a longer phrase of unrelated words"
    ),
}
PASSWORD_REFUSED = _l("Choose another password")

ACTION_DONE = {
    "deactivate": _l("The account is deactivated and logged out everywhere."),
    "reactivate": _l("The account is active again."),
    "unlock": _l("Every login lock of the account is lifted."),
}
STALE = _l("The account changed since you opened this page. Nothing was done: look again.")

#: An account's history (audit ``detail`` codes of ``account_changed``) in words.
HISTORY = {
    "invited": _l("Invitation link made"),
    "deactivated": _l("Deactivated"),
    "reactivated": _l("Reactivated"),
    "totp_reset": _l("Authenticator reset, new invitation link made"),
    "unlocked": _l("Login locks lifted"),
    "office": _l("Office, village or kecamatan changed"),
    "password_set": _l("Password set through the invitation link"),
    "password_reset": _l("Password reset (demo account)"),
    "totp_enrolled": _l("Authenticator app set up"),
    "invitation_used": _l("Invitation link used: recovery codes given"),
}
CREATED_AS = _l("Created as %(role)s")
ROLE_CHANGED = _l("Role changed to %(role)s")


def history_label(detail: str | None, role_labels: dict) -> str:
    """The words for one history row (the code itself when unknown)."""
    code, _, role = (detail or "").partition(":")
    if code in ("created", "role") and role in role_labels:
        template = CREATED_AS if code == "created" else ROLE_CHANGED
        return str(template) % {"role": role_labels[role]}
    return str(HISTORY.get(detail or "", detail or ""))
