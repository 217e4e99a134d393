"""The national default reply templates, seeded by ``flask templates seed``.

Plain words a resident understands on a phone: what happened, what to do
next, and where to ask. Indonesian and English say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TemplateText:
    purpose: str
    code: str
    lang: str
    title: str
    body: str


def _pair(purpose: str, code: str, id_title: str, id_body: str, en_title: str, en_body: str):
    return (
        TemplateText(purpose, code, "id", id_title, id_body),
        TemplateText(purpose, code, "en", en_title, en_body),
    )


DEFAULTS: tuple[TemplateText, ...] = (
    *_pair(
        "needs_info",
        "missing_document",
        "Dokumen kurang",
        "Permohonan {reference} belum bisa kami periksa karena ada dokumen yang kurang. "
        "Mohon kirim foto [nama dokumen] lewat halaman lacak permohonan, "
        "atau bawa ke kantor desa/kelurahan.",
        "A document is missing",
        "We cannot check request {reference} yet because a document is missing. "
        "Please send a photo of [document name] through the tracking page, "
        "or take it to your village office.",
    ),
    *_pair(
        "needs_info",
        "unclear_details",
        "Keterangan kurang jelas",
        "Terima kasih atas permohonan {reference}. Kami perlu keterangan lebih lanjut: "
        "[pertanyaan]. Mohon jawab lewat halaman lacak permohonan.",
        "Details unclear",
        "Thank you for request {reference}. We need to know more: [question]. "
        "Please answer through the tracking page.",
    ),
    *_pair(
        "needs_info",
        "contact_village",
        "Hubungi kantor desa",
        "Untuk permohonan {reference}, mohon datang ke kantor desa/kelurahan "
        "dengan membawa KTP dan Kartu Keluarga agar data bisa dicocokkan.",
        "Contact the village office",
        "For request {reference}, please visit your village office with your "
        "KTP and family card (Kartu Keluarga) so that the data can be checked.",
    ),
    *_pair(
        "accepted",
        "data_updated",
        "Diterima: data diperbarui",
        "Permohonan {reference} diterima. Data rumah tangga Anda akan diperbarui "
        "dalam pembaruan DTSEN berikutnya. Jika Anda tidak setuju dengan keputusan ini, "
        "Anda dapat mengajukan sanggahan sampai {due_date}.",
        "Accepted: data will be updated",
        "Request {reference} is accepted. Your household's data will be updated in "
        "the next DTSEN update. If you disagree with this decision, you can appeal "
        "until {due_date}.",
    ),
    *_pair(
        "accepted",
        "proposal_accepted",
        "Diterima: usulan diteruskan",
        "Usulan {reference} diterima dan diteruskan ke Kementerian Sosial untuk "
        "dimasukkan ke data. Anda tidak perlu melakukan apa pun. Batas sanggahan: {due_date}.",
        "Accepted: proposal forwarded",
        "Proposal {reference} is accepted and forwarded to the Ministry of Social "
        "Affairs to be added to the data. You do not need to do anything. "
        "You can appeal until {due_date}.",
    ),
    *_pair(
        "rejected",
        "criteria_not_met",
        "Ditolak: tidak memenuhi kriteria",
        "Permohonan {reference} tidak dapat kami terima karena [alasan]. "
        "Jika Anda tidak setuju, Anda dapat mengajukan sanggahan sampai {due_date} "
        "lewat halaman lacak permohonan atau kantor desa/kelurahan.",
        "Not accepted: criteria not met",
        "We cannot accept request {reference} because [reason]. If you disagree, "
        "you can appeal until {due_date} through the tracking page or your village office.",
    ),
    *_pair(
        "rejected",
        "not_confirmed",
        "Ditolak: tidak terbukti",
        "Petugas kami sudah memeriksa permohonan {reference}, tetapi keadaan yang "
        "disampaikan tidak dapat dipastikan. Jika Anda punya bukti baru, Anda dapat "
        "mengajukan sanggahan sampai {due_date}.",
        "Not accepted: not confirmed",
        "Our staff checked request {reference}, but the situation described could "
        "not be confirmed. If you have new evidence, you can appeal until {due_date}.",
    ),
)
