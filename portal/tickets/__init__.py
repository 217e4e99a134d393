"""Tickets: what residents ask of the social office, and how the office works them.

A ticket is one of three kinds (DESIGN.md §4):

* *usulan* (``proposal``): propose a household, one's own or another in the
  same village, for the registry or a programme;
* *sanggahan* (``objection``): (a) my own ranking or exclusion is wrong, or
  (b) a recipient household in my village is not eligible — then the reporter
  stays confidential;
* *perbaikan data* (``correction``): a member died, was born, moved or has a
  wrong name or birth date, or the house changed.

Where to look:

* ``models``: the tables (ticket, events, evidence, outbox, drafts);
* ``workflow``: **how a ticket moves** — states, who may move it where, and
  what each move records;
* ``sla``: due dates in Indonesian working days;
* ``references``: ticket references, PINs and tracking tokens;
* ``service``: submitting a ticket (one transaction, idempotent), drafts,
  opening a ticket by reference + PIN or by tracking link, duplicates.
"""
