"""What the demo tickets say and carry (``portal.tickets.demo``): the stories
a ticket goes through, its words, and its evidence pictures.

Everything here is synthetic and in Indonesian, as a resident or a Dinas
Sosial would write it. The pictures are small real JPEG and PNG files drawn
with Pillow, stored through the same checks and store as a resident's upload.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from portal.regions.offices import Contact
from portal.registry.names import STREETS, SUNDA
from portal.tickets import evidence
from portal.tickets.workflow import (
    ACCEPTED,
    CLOSED,
    DUPLICATE,
    FIELD_CHECK,
    FORWARDED,
    IN_REVIEW,
    NEEDS_INFO,
    REJECTED,
    TRANSFERRED,
    VERIFIED,
    WITHDRAWN,
)

#: A move of a story: the status it goes to, and who makes it (``office``:
#: the office's staff actor; ``origin``: the office the ticket came from,
#: for a transfer; ``resident``).
Step = tuple[str, str]


@dataclass(frozen=True)
class Story:
    """A ticket's life so far: its moves, and the days between one event and
    the next (the first is the submission; the last gap ends now)."""

    name: str
    steps: tuple[Step, ...]
    gaps: tuple[int, ...]
    #: How many of the demo handler's office get it (other offices get a quarter).
    weight: int

    def __post_init__(self) -> None:
        assert len(self.gaps) == len(self.steps) + 1, self.name


OFFICE, ORIGIN, RESIDENT = "office", "origin", "resident"
TRIAGE: Step = (IN_REVIEW, OFFICE)
CHECK = ((IN_REVIEW, OFFICE), (FIELD_CHECK, OFFICE), (VERIFIED, OFFICE))

STORIES = (
    Story("new", (), (1,), 25),
    Story("triage_overdue", (), (9,), 12),
    #: Submitted three working days before today: its triage is due today.
    Story("due_today", (), (0,), 8),
    Story("claimed", (), (2,), 8),
    Story("in_review", (TRIAGE,), (1, 2), 30),
    Story("in_review_overdue", (TRIAGE,), (2, 12), 12),
    Story("needs_info", (TRIAGE, (NEEDS_INFO, OFFICE)), (1, 2, 3), 15),
    Story("info_received", (TRIAGE, (NEEDS_INFO, OFFICE), (IN_REVIEW, RESIDENT)), (1, 2, 4, 1), 10),
    Story("field_check", (TRIAGE, (FIELD_CHECK, OFFICE)), (1, 2, 3), 15),
    Story("verified", CHECK, (1, 3, 4, 2), 15),
    Story("accepted_in_appeal_window", (*CHECK, (ACCEPTED, OFFICE)), (1, 3, 4, 2, 3), 8),
    Story("rejected_in_appeal_window", (*CHECK, (REJECTED, OFFICE)), (1, 3, 4, 2, 5), 8),
    Story(
        "forwarded",
        (*CHECK, (ACCEPTED, OFFICE), (FORWARDED, OFFICE)),
        (1, 3, 4, 2, 6, 10),
        8,
    ),
    # Closing waits for the appeal window (10 working days): 30 days is past it.
    Story("closed", (*CHECK, (REJECTED, OFFICE), (CLOSED, OFFICE)), (1, 3, 4, 2, 30, 5), 10),
    Story("transferred_in", ((TRANSFERRED, ORIGIN),), (2, 1), 6),
    Story("transferred_then_triaged", ((TRANSFERRED, ORIGIN), TRIAGE), (2, 1, 2), 4),
    Story("duplicate", ((DUPLICATE, OFFICE),), (1, 1), 6),
    Story("withdrawn", (TRIAGE, (WITHDRAWN, RESIDENT)), (3, 2, 2), 6),
)

#: Internal notes and public messages that go with a move.
MOVE_NOTES = {
    IN_REVIEW: ("Berkas sudah diterima dan mulai diperiksa.", False),
    NEEDS_INFO: (
        "Mohon kirimkan foto Kartu Keluarga (KK) terbaru yang terbaca jelas.",
        True,
    ),
    FIELD_CHECK: ("Dijadwalkan kunjungan lapangan bersama pendamping desa.", False),
    VERIFIED: ("Data sudah dicocokkan dengan hasil kunjungan dan dokumen.", False),
    ACCEPTED: (
        "Permohonan Anda diterima. Data akan diperbarui pada pemutakhiran berikutnya.",
        True,
    ),
    REJECTED: ("Permohonan Anda belum dapat diterima karena kondisi sesuai data DTSEN.", True),
    FORWARDED: ("Diteruskan ke Kementerian Sosial untuk pemutakhiran DTSEN.", False),
    TRANSFERRED: ("Bukan wewenang kami: desa ini dilayani Dinas Sosial tujuan.", False),
    DUPLICATE: ("Permohonan yang sama sudah ada; digabungkan.", False),
    WITHDRAWN: ("Saya batalkan, sudah diurus lewat desa.", True),
}
RESIDENT_REPLY = "Sudah saya kirim foto KK yang baru."
EXTRA_NOTES = (
    "Pemohon menelepon menanyakan perkembangan.",
    "Perlu dicek ulang alamat RT/RW dengan operator desa.",
    "Dokumen pendukung lengkap.",
)

DETAILS = {
    "own_household": "Suami saya sudah tidak bekerja sejak pabrik tutup, penghasilan tidak tetap.",
    "other_household": "Tetangga kami lansia tinggal sendiri, rumahnya hampir roboh.",
    "own_ranking": "Desil kami tertulis 7, padahal kami buruh harian dan rumah masih papan.",
    "ineligible_recipient": "Penerima ini punya mobil dan toko bangunan.",
    "member_died": "Bapak kami meninggal dunia pada bulan Maret, ada akta kematian.",
    "member_born": "Anak kami lahir bulan lalu, akta kelahiran terlampir.",
    "member_moved": "Anak pertama pindah ke Bekasi karena bekerja dan sudah pindah KK.",
    "wrong_name": "Nama istri tertulis salah, yang benar sesuai KTP.",
    "wrong_birth_date": "Tanggal lahir kepala keluarga salah satu tahun.",
    "house_changed": "Atap rumah rusak berat setelah angin puting beliung.",
}
REASONS = {
    "own_household": ("lost_job", "no_income"),
    "other_household": ("elderly", "poor_house"),
    "own_ranking": ("desil_too_high", "income_dropped"),
    "ineligible_recipient": ("well_off",),
}
#: Evidence document types that go with each subkind.
DOC_TYPES = {
    "own_household": ("kk", "house_front", "house_inside"),
    "other_household": ("house_front", "house_inside"),
    "own_ranking": ("kk", "house_front", "village_letter"),
    "ineligible_recipient": ("house_front", "other"),
    "member_died": ("death_certificate", "kk"),
    "member_born": ("birth_certificate", "kk"),
    "member_moved": ("kk", "village_letter"),
    "wrong_name": ("ktp", "kk"),
    "wrong_birth_date": ("ktp", "kk"),
    "house_changed": ("house_front", "house_inside", "village_letter"),
}


def person_name(rng: random.Random) -> str:
    first = rng.choice(SUNDA.male + SUNDA.female)
    return f"{first} {rng.choice(SUNDA.male_second + SUNDA.female_second)}"


def address(rng: random.Random) -> str:
    rt, rw = rng.randint(1, 12), rng.randint(1, 8)
    return f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 120)}, RT {rt:03d}/RW {rw:03d}"


def phone(rng: random.Random) -> str:
    return f"0812-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"


_COLOURS = {
    "house_front": (176, 112, 64),
    "house_inside": (200, 180, 140),
    "ktp": (90, 140, 200),
    "kk": (120, 170, 120),
}


def picture(doc_type: str, label: str, png: bool) -> tuple[str, bytes]:
    """A small picture (file name, bytes) that looks like its document type."""
    image = Image.new("RGB", (240, 160), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    colour = _COLOURS.get(doc_type, (150, 150, 150))
    if doc_type.startswith("house"):
        draw.polygon([(40, 80), (120, 25), (200, 80)], fill=(150, 40, 30))
        draw.rectangle([55, 80, 185, 145], fill=colour)
        draw.rectangle([105, 105, 135, 145], fill=(80, 50, 30))
    else:
        draw.rectangle([15, 15, 225, 145], outline=colour, width=4)
        for y in range(45, 135, 15):
            draw.line([(30, y), (210, y)], fill=colour, width=2)
    draw.text((20, 20), f"DEMO {doc_type} {label}", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG" if png else "JPEG", quality=80)
    return ("demo.png" if png else "demo.jpg"), out.getvalue()


def store_pictures(rng: random.Random, subkind: str, count: int, label: str) -> list:
    """``count`` pictures checked and stored like a resident's uploads."""
    stored = []
    for i in range(count):
        doc_type = DOC_TYPES[subkind][i % len(DOC_TYPES[subkind])]
        name, data = picture(doc_type, f"{label}-{i + 1}", png=rng.random() < 0.3)
        processed = evidence.process_upload(name, data, doc_type=doc_type, keep_gps=False)
        stored.append(evidence.store(processed))
    return stored


#: Public contacts of demo offices (``flask tickets demo``), made up: the
#: tracking page shows them; dinsos-32.73 keeps none, to show the fallback.
DEMO_CONTACTS = {
    "dinsos-32.01": Contact(
        "(0251) 800 0101", "dinsos.demo@example.org", "Jl. Contoh No. 1, Cibinong (demo)"
    ),
    "dinsos-32.03": Contact("(0263) 800 0103", None, "Jl. Contoh No. 3, Cianjur (demo)"),
    "prov-32": Contact(
        "(022) 800 0032", "dinsos.prov.demo@example.org", "Jl. Contoh No. 32, Bandung (demo)"
    ),
}
