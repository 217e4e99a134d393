"""Plain-language labels for ticket codes: kinds, what is asked, reasons,
document types, evidence errors and public events."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: usulan, sanggahan, perbaikan data.
KIND_TITLES = {
    "proposal": _l("Propose a household"),
    "objection": _l("Objection"),
    "correction": _l("Data correction"),
}

SUBKIND_LABELS = {
    "proposal": {
        "own_household": _l("My own household"),
        "other_household": _l("Another household in my village"),
    },
    "objection": {
        "own_ranking": _l("My household's desil or exclusion from aid is wrong"),
        "ineligible_recipient": _l("A household in my village receives aid but should not"),
    },
    "correction": {
        "member_died": _l("A family member died"),
        "member_born": _l("A baby was born"),
        "member_moved": _l("A family member moved away or moved in"),
        "wrong_name": _l("A name is wrong"),
        "wrong_birth_date": _l("A date of birth is wrong"),
        "house_changed": _l("The condition of the house has changed"),
    },
}

#: What exactly to write in the free text, per correction.
DETAILS_HINTS = {
    "member_died": _l("Write the name of the person who died and the date of death."),
    "member_born": _l("Write the baby's name and date of birth."),
    "member_moved": _l("Write who moved, where to or from, and when."),
    "wrong_name": _l("Write the name as it is now, and the right name as on the KTP or KK."),
    "wrong_birth_date": _l("Write whose date of birth is wrong, and the right date."),
    "house_changed": _l("Write what changed: floor, walls, roof, water, toilet, electricity."),
    "ineligible_recipient": _l("If you chose another reason, write it here."),
}

REASONS = {
    ("proposal", "own_household"): {
        "no_income": _l("We have little or no income"),
        "lost_job": _l("The head of the household lost their job"),
        "sick_or_disabled": _l("A family member is sick or has a disability"),
        "elderly": _l("An elderly person lives alone or without support"),
        "poor_house": _l("The house is in poor condition"),
        "not_in_data": _l("The household is not in the DTSEN data"),
    },
    ("objection", "own_ranking"): {
        "desil_too_high": _l("The desil is too high for our real condition"),
        "excluded": _l("We stopped receiving aid without a reason"),
        "house_data_wrong": _l("The data about our house is wrong"),
        "income_dropped": _l("Our income has dropped"),
        "members_wrong": _l("The household members are wrong"),
    },
    ("objection", "ineligible_recipient"): {
        "well_off": _l("The household is well off (good house, car, land)"),
        "steady_income": _l("Someone has a steady income, e.g. a civil servant"),
        "moved_away": _l("The household moved away"),
        "died": _l("The recipient has died"),
        "other": _l("Another reason"),
    },
}
# The same reasons, said about the household the resident proposes.
REASONS[("proposal", "other_household")] = {
    "no_income": _l("The household has little or no income"),
    "lost_job": _l("The head of the household lost their job"),
    "sick_or_disabled": _l("A member of the household is sick or has a disability"),
    "elderly": _l("An elderly person lives alone or without support"),
    "poor_house": _l("The house is in poor condition"),
    "not_in_data": _l("The household is not in the DTSEN data"),
}

#: Reasons that need the free text to say anything.
EXPLAIN_REASONS = ("other",)

DOC_TYPE_LABELS = {
    "ktp": _l("KTP (identity card)"),
    "kk": _l("Family card (KK)"),
    "house_front": _l("Photo of the front of the house"),
    "house_inside": _l("Photo of the inside of the house"),
    "death_certificate": _l("Death certificate"),
    "birth_certificate": _l("Birth certificate"),
    "village_letter": _l("Letter from the village office"),
    "other": _l("Other document"),
}

#: The message for each ``EvidenceError.code``; ``%`` with ``max_mb`` and ``max_files``.
EVIDENCE_ERRORS = {
    "empty": _l("The file is empty. Choose another file"),
    "too_large": _l("The file is larger than %(max_mb)d MB. Send a smaller file"),
    "too_many": _l("You can add up to %(max_files)d files"),
    "unsupported_type": _l("The file must be a photo (JPG, PNG or WebP) or a PDF"),
    "extension_mismatch": _l(
        "The file's name does not match its content. Rename it to end in .jpg, .png, .webp or .pdf"
    ),
    "corrupt": _l("The file is damaged and cannot be opened. Take the photo again"),
    "too_many_pixels": _l("The picture is too big. Send a smaller photo"),
    "pdf_active_content": _l("This PDF cannot be accepted. Send a photo of the document instead"),
    "pdf_encrypted": _l("The PDF is protected with a password. Send it without a password"),
    "pdf_uninspectable": _l("This PDF cannot be checked. Send a photo of the document instead"),
}

#: What the resident sees for each public event.
EVENT_LABELS = {
    "submitted": _l("Request received"),
    "triaged": _l("The office started checking"),
    "transferred": _l("Sent to the responsible office"),
    "marked_duplicate": _l("Joined with another request for the same household"),
    "info_requested": _l("The office asks for more information"),
    "info_received": _l("Your reply was received"),
    "status_changed": _l("Status changed"),
    "decided": _l("Decision made"),
    "appealed": _l("The decision was appealed"),
    "forwarded": _l("Sent on to the Ministry of Social Affairs"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
    "evidence_added": _l("Documents added"),
    "resident_added": _l("More information from the household"),
    "note": _l("Message from the office"),
}


#: Requests about a household other than the reporter's own (DESIGN.md §3):
#: the officer visits that household, not the reporter.
OTHER_HOUSEHOLD_SUBKINDS = ("other_household", "ineligible_recipient")

_VISIT_OWN = _l("An officer may visit your house: keep your KTP and family card (KK) ready.")
_VISIT_PROPOSED = _l(
    "An officer may visit the household you proposed. You do not need to be there."
)
_VISIT_REPORTED = _l(
    "An officer may visit the household you reported. You will not be named to them."
)
_FOLLOW = _l("Follow your request with the ticket number and PIN, or with the tracking link.")


def next_steps(subkind: str) -> tuple:
    """What happens after sending, for the household the request is about:
    only a request about one's own household asks to have the KTP and KK ready."""
    if subkind == "ineligible_recipient":
        visit = _VISIT_REPORTED
    elif subkind in OTHER_HOUSEHOLD_SUBKINDS:
        visit = _VISIT_PROPOSED
    else:
        visit = _VISIT_OWN
    return (visit, _FOLLOW)


#: How a resident consented to the operator who submitted for them
#: (``models.CONSENT_METHODS``).
CONSENT_METHOD_LABELS = {
    "signed_form": _l("The resident signed a consent form"),
    "in_person_verbal": _l("The resident agreed in person, by word of mouth"),
}

#: The office's labels of the files: the resident's, and the signed consent
#: form an operator attached (a type no resident can choose).
OFFICE_DOC_TYPE_LABELS = {**DOC_TYPE_LABELS, "consent_form": _l("Signed consent form")}
