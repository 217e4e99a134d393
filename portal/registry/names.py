"""Name and place data for the synthetic DTSEN snapshot (``portal.registry.synthetic``).

Indonesian naming differs by region, so names come in *cultures*, each with its own way of
building a full name (``Culture.style``):

* ``given``: a first name, often followed by a second name (Javanese, Sundanese, Malay, Bugis
  and the general pan-Indonesian style). Many older people have only one name ("Sutrisno",
  "Suparmi"). Second names are not surnames, but a son often takes his father's.
* ``marga``: given name(s) and a family name inherited from the father (Batak marga, and the
  family names of Nusa Tenggara Timur, Maluku, Papua and Minahasa).
* ``bali``: "I" (men) or "Ni" (women), a birth-order name (Wayan, Made, Nyoman, Ketut, ...)
  and a given name, e.g. "I Made Suarsana", "Ni Ketut Sukerti".

None of these lists is meant to be complete; they only have to look plausible.
"""

from __future__ import annotations

from typing import NamedTuple


class Culture(NamedTuple):
    """The name pools and rules of one naming tradition."""

    style: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    #: Names of people born from 1990 on; often more international or Arabic.
    male_modern: tuple[str, ...]
    female_modern: tuple[str, ...]
    male_second: tuple[str, ...] = ()
    female_second: tuple[str, ...] = ()
    surnames: tuple[str, ...] = ()
    #: Religious first names put in front of a name ("Muhammad Rizky", "Siti Aminah").
    male_prefixes: tuple[str, ...] = ()
    female_prefixes: tuple[str, ...] = ()
    #: Share of one-word names among people born before 1970.
    single_name: float = 0.0
    #: Written between a woman's given name and her marga ("Rosmawati br. Sinaga").
    daughter_marker: str = ""


class Hamlets(NamedTuple):
    """How the parts of a rural village are called in addresses ("Dusun Krajan")."""

    prefix: str
    names: tuple[str, ...]
    #: Numbered hamlets (Dusun I, Dusun II, ...) follow the RW order instead of being shuffled.
    numbered: bool = False


# Name lists are laid out by hand, several to a line, so the formatter leaves them alone.
# fmt: off

# --- Names shared by several cultures ---------------------------------------------------------

MUSLIM_MALE_PREFIXES = ("Muhammad", "Ahmad", "Moh.", "Abdul")
MUSLIM_FEMALE_PREFIXES = ("Siti", "Nur", "Sri")

MODERN_MALE = (
    "Rizky", "Fajar", "Aditya", "Dimas", "Ilham", "Bayu", "Arif", "Fikri", "Rafi", "Alif",
    "Reza", "Farhan", "Hafiz", "Arya", "Daffa", "Raka", "Akbar", "Ridho", "Yoga", "Galih",
    "Satria", "Rangga", "Andika", "Iqbal", "Naufal", "Zidan", "Fadil", "Azka", "Haikal",
    "Gilang", "Aldi", "Rehan", "Fauzan", "Rizal", "Dani", "Ikhsan", "Kevin", "Bagas",
)
MODERN_FEMALE = (
    "Nabila", "Aisyah", "Putri", "Nadia", "Salsabila", "Anisa", "Dinda", "Aulia", "Nurul",
    "Zahra", "Fitri", "Indah", "Dewi", "Ayu", "Novita", "Intan", "Citra", "Maya", "Amelia",
    "Alya", "Keisha", "Kayla", "Cantika", "Safira", "Adinda", "Tiara", "Syifa", "Nayla",
    "Khansa", "Aqila", "Rahma", "Laila", "Wulan", "Della", "Vina", "Melati", "Annisa",
)
MODERN_MALE_SECOND = (
    "Pratama", "Saputra", "Ramadhan", "Maulana", "Firmansyah", "Kurniawan", "Hidayat",
    "Nugraha", "Prasetya", "Wijaya", "Permana", "Setiawan", "Syahputra", "Akbar", "Hakim",
    "Alfarizi", "Putra", "Aditama", "Ardiansyah", "Febrian",
)
MODERN_FEMALE_SECOND = (
    "Putri", "Rahmawati", "Lestari", "Safitri", "Ramadhani", "Maharani", "Anggraini",
    "Permatasari", "Azzahra", "Nuraini", "Kurniasih", "Pratiwi", "Wulandari", "Amalia",
    "Aprilia", "Oktaviani", "Septiani", "Salsabila", "Febriyanti", "Cahyani",
)

CHRISTIAN_MALE = (
    "Yohanes", "Petrus", "Paulus", "Yosef", "Markus", "Lukas", "Matius", "Stefanus",
    "Fransiskus", "Agustinus", "Yakobus", "Simon", "Daniel", "Samuel", "Yeremias", "Yulius",
    "Kornelis", "Herman", "Alexander", "Frans", "Hendrik", "Dominggus", "Marthen", "Yosias",
    "Obed", "Nikolas", "Arnold", "Benediktus", "Gabriel", "Lambertus",
)
CHRISTIAN_FEMALE = (
    "Maria", "Magdalena", "Yohana", "Martha", "Elisabeth", "Agustina", "Yuliana", "Marselina",
    "Katarina", "Theresia", "Veronika", "Anastasia", "Fransiska", "Margaretha", "Bernadeta",
    "Yosefina", "Regina", "Sofia", "Debora", "Ester", "Rut", "Naomi", "Selfina", "Yakomina",
    "Adriana", "Lusia", "Klara", "Paulina", "Dorkas", "Mariana",
)
CHRISTIAN_MALE_MODERN = (
    "Kevin", "Michael", "Ricky", "Jeremy", "Gilbert", "Yosua", "Christian", "Immanuel",
    "Jonathan", "Natanael", "Gerald", "Steven", "Brian", "Aldo", "Rio", "Yonatan", "Andreas",
    "Felix", "Calvin", "Elia",
)
CHRISTIAN_FEMALE_MODERN = (
    "Gracia", "Angelina", "Jessica", "Natalia", "Christina", "Yesika", "Claudia", "Febiola",
    "Priskila", "Gabriela", "Cindy", "Stefani", "Meylan", "Marsela", "Sherly", "Vania",
    "Kezia", "Olivia", "Ivana", "Aurelia",
)

# --- Cultures ---------------------------------------------------------------------------------

JAWA = Culture(
    style="given",
    male=(
        "Sutrisno", "Suparman", "Sugiyono", "Slamet", "Supriyadi", "Sukardi", "Sumarno",
        "Wagiman", "Paijo", "Tukiman", "Sarjono", "Darmaji", "Mulyono", "Sunarto", "Joko",
        "Bambang", "Agus", "Budi", "Heru", "Eko", "Dwi", "Tri", "Hadi", "Teguh", "Wahyu",
        "Sigit", "Bagus", "Yanto", "Rudi", "Purwanto", "Haryanto", "Sugeng", "Warsito",
        "Marno", "Jumadi", "Kasiman", "Rohmat", "Samsul", "Suwarno", "Ngadiman",
    ),
    female=(
        "Suparmi", "Sumarni", "Ngatini", "Painem", "Tukinem", "Sukarti", "Wartini", "Surtini",
        "Sulastri", "Suwarni", "Marni", "Tumini", "Endang", "Yuli", "Rini", "Lestari", "Ani",
        "Wati", "Sumiyati", "Kasmini", "Sarmi", "Juminah", "Partini", "Ngadiyem", "Warsini",
        "Sutini", "Umi", "Ratna", "Eni", "Yanti", "Ning", "Tarsih", "Mujiati", "Sunarsih",
    ),
    male_modern=MODERN_MALE,
    female_modern=MODERN_FEMALE,
    male_second=(
        "Santoso", "Wibowo", "Prasetyo", "Setiawan", "Nugroho", "Susanto", "Purnomo",
        "Saputro", "Kurniawan", "Wahyudi", "Hartono", "Raharjo", "Widodo", "Priyanto",
        "Hidayat", "Utomo", "Suryanto", "Haryono", "Cahyono", "Gunawan", "Pambudi",
        "Wicaksono", "Firmansyah", "Sutrisno", "Mulyadi",
    ),
    female_second=(
        "Rahmawati", "Lestari", "Wulandari", "Handayani", "Susanti", "Purwanti", "Kusumawati",
        "Setyaningsih", "Rahayu", "Puspitasari", "Wahyuni", "Utami", "Anggraini", "Pratiwi",
        "Safitri", "Nuraini", "Sulistyowati", "Fitriani", "Sari", "Astuti", "Kurniasih",
        "Yuliana", "Maryati", "Suryani",
    ),
    male_prefixes=MUSLIM_MALE_PREFIXES,
    female_prefixes=MUSLIM_FEMALE_PREFIXES,
    single_name=0.55,
)

SUNDA = Culture(
    style="given",
    male=(
        "Asep", "Ujang", "Dadang", "Cecep", "Deden", "Encep", "Jajang", "Ade", "Iwan", "Dedi",
        "Yayan", "Endang", "Ayi", "Usep", "Mamat", "Oman", "Engkos", "Entis", "Aceng", "Yana",
        "Wawan", "Rahmat", "Dadan", "Kusnadi", "Tatang", "Odang", "Maman", "Agus", "Nandang",
        "Dodi",
    ),
    female=(
        "Euis", "Neneng", "Imas", "Enung", "Cucu", "Iis", "Eneng", "Nining", "Tati", "Lilis",
        "Yati", "Entin", "Ai", "Nenden", "Dewi", "Rina", "Yeni", "Ela", "Popon", "Oneng",
        "Nia", "Wiwin", "Titin", "Nani", "Enok", "Cicih", "Elis", "Teti",
    ),
    male_modern=MODERN_MALE,
    female_modern=MODERN_FEMALE,
    male_second=(
        "Sunandar", "Supriatna", "Hermawan", "Suryana", "Kurnia", "Permana", "Setiadi",
        "Hidayat", "Rukmana", "Saepudin", "Sopyan", "Ruhiyat", "Gunawan", "Mulyana",
        "Sudrajat", "Nugraha", "Firmansyah", "Hamdani", "Kusnadi", "Saputra",
    ),
    female_second=(
        "Rosita", "Nurhasanah", "Rohayati", "Kurniasih", "Komalasari", "Mulyati", "Rahmawati",
        "Herawati", "Nurjanah", "Sumiati", "Hayati", "Rostika", "Maryani", "Ningsih",
        "Yuningsih", "Nurlaela", "Mariam", "Sulastri",
    ),
    male_prefixes=MUSLIM_MALE_PREFIXES,
    female_prefixes=MUSLIM_FEMALE_PREFIXES,
    single_name=0.35,
)

MELAYU = Culture(
    style="given",
    male=(
        "Zulkifli", "Syahrul", "Rizal", "Hendra", "Fauzi", "Irwan", "Yusuf", "Azhar", "Ridwan",
        "Syamsul", "Mukhlis", "Amiruddin", "Khairul", "Darwis", "Zainal", "Rusli", "Effendi",
        "Afrizal", "Jufri", "Yusri", "Masri", "Herman", "Safrizal", "Nasrul", "Ismail",
        "Hamdan", "Marzuki", "Bustami", "Fadli", "Iskandar",
    ),
    female=(
        "Nurhayati", "Yusnidar", "Rosmiati", "Zuraida", "Yuliarni", "Fitri", "Erni", "Deswita",
        "Nurlela", "Masyitah", "Rahmah", "Zubaidah", "Asmawati", "Yusnani", "Hasnah", "Rosna",
        "Suryani", "Elfi", "Mardiana", "Nurbaiti", "Syarifah", "Jamilah", "Rosnani", "Zahara",
    ),
    male_modern=MODERN_MALE,
    female_modern=MODERN_FEMALE,
    male_second=(
        "Rahman", "Abdullah", "Hamzah", "Syahputra", "Saputra", "Putra", "Ramadhan", "Hidayat",
        "Ilyas", "Yusuf", "Amri", "Arifin", "Fauzan", "Kamal", "Zainuddin", "Effendi",
    ),
    female_second=(
        "Putri", "Sari", "Rahmawati", "Yanti", "Fitriani", "Ramadhani", "Amelia", "Safitri",
        "Wahyuni", "Zahara", "Hasanah", "Aini", "Yusnita", "Marlina",
    ),
    male_prefixes=MUSLIM_MALE_PREFIXES,
    female_prefixes=MUSLIM_FEMALE_PREFIXES,
    single_name=0.4,
)

BUGIS = Culture(
    style="given",
    male=(
        "Ambo", "Baso", "Beddu", "Sakka", "Hamzah", "Amir", "Rahman", "Mansyur", "Muhtar",
        "Idris", "Jufri", "Ilham", "Irfan", "Askar", "Akbar", "Mustafa", "Ramli", "Halim",
        "Saleh", "Tahir", "Sukri", "Rusdi", "Anwar", "Faisal", "Haris", "Sudirman", "Nurdin",
        "Baharuddin",
    ),
    female=(
        "Besse", "Becce", "Hasna", "Saripa", "Rahmatia", "Nurmiati", "Jumriah", "Hasriani",
        "Irmawati", "Suriani", "Haslinda", "Rismawati", "Nurfaidah", "Asriani", "Kartini",
        "Fatimah", "Marwah", "Sukmawati", "Hartati", "Nuraeni", "Kasmawati", "Hadijah",
    ),
    male_modern=MODERN_MALE,
    female_modern=MODERN_FEMALE,
    male_second=(
        "Baharuddin", "Syamsuddin", "Hasanuddin", "Jamaluddin", "Arifuddin", "Nurdin",
        "Rahman", "Rasyid", "Amir", "Saleh", "Tahir", "Hamid", "Latif", "Syahrir", "Alimuddin",
        "Muchtar",
    ),
    female_second=(
        "Amalia", "Rahmadani", "Sari", "Wahyuni", "Ayu", "Safitri", "Nurhidayah", "Rahayu",
        "Hasanah", "Anggraeni",
    ),
    male_prefixes=(*MUSLIM_MALE_PREFIXES, "Andi"),
    female_prefixes=("Sitti", "Nur", "Andi"),
    single_name=0.45,
)

#: Pan-Indonesian names, for Jakarta, Nusa Tenggara Barat and as a second choice everywhere.
UMUM = Culture(
    style="given",
    male=(
        "Hendra", "Andi", "Dedi", "Irwan", "Rudi", "Hadi", "Agus", "Budi", "Hasan", "Imam",
        "Yusuf", "Ahmad", "Arief", "Darmawan", "Sofyan", "Taufik", "Hamid", "Syamsudin",
        "Abdullah", "Jamal", "Hermanto", "Robi", "Edi", "Firman", "Indra", "Yudi", "Lalu",
        "Zainudin",
    ),
    female=(
        "Aminah", "Fatimah", "Halimah", "Khadijah", "Maryam", "Nurhayati", "Rohani", "Salmah",
        "Sumiati", "Yuliani", "Rina", "Dewi", "Wahyuni", "Sri", "Yulia", "Nani", "Ratna",
        "Lina", "Eka", "Fitria", "Hasanah", "Rukiah", "Baiq", "Murni",
    ),
    male_modern=MODERN_MALE,
    female_modern=MODERN_FEMALE,
    male_second=(*MODERN_MALE_SECOND, "Hasan", "Abdullah", "Rahman", "Sudirman"),
    female_second=(*MODERN_FEMALE_SECOND, "Hasanah", "Aminah", "Rahayu", "Handayani"),
    male_prefixes=MUSLIM_MALE_PREFIXES,
    female_prefixes=MUSLIM_FEMALE_PREFIXES,
    single_name=0.3,
)

BATAK = Culture(
    style="marga",
    male=(
        "Tigor", "Parulian", "Sahat", "Binsar", "Torang", "Hotman", "Ronald", "Jhonson",
        "Marulitua", "Poltak", "Togar", "Bonar", "Sahala", "Hasudungan", "Maruli", "Robert",
        "Benny", "Daniel", "Samuel", "Jonggi", "Ferdinand", "Posma", "Rudolf", "Manahan",
        "Hendrik", "Lamhot", "Sudung", "Rajab",
    ),
    female=(
        "Rosmawati", "Tiurma", "Rotua", "Lamtiur", "Hotmaida", "Nurmala", "Rismauli", "Sondang",
        "Dame", "Rosdiana", "Maria", "Lasma", "Rugun", "Hotnida", "Tiolina", "Roslina", "Ruth",
        "Friska", "Elisabeth", "Marlina", "Romauli", "Nurhaida", "Sartika", "Pinta",
    ),
    male_modern=(*CHRISTIAN_MALE_MODERN, "Rizky", "Fajar", "Yohannes"),
    female_modern=(*CHRISTIAN_FEMALE_MODERN, "Putri", "Nadia", "Debora", "Dameria"),
    surnames=(
        "Siregar", "Nasution", "Harahap", "Lubis", "Simanjuntak", "Sitompul", "Panjaitan",
        "Sinaga", "Hutapea", "Pardede", "Tambunan", "Situmorang", "Manurung", "Sihombing",
        "Simatupang", "Hutagalung", "Silalahi", "Pasaribu", "Sitorus", "Napitupulu", "Damanik",
        "Saragih", "Ginting", "Tarigan", "Sembiring", "Purba", "Hasibuan", "Marpaung",
        "Gultom", "Nainggolan",
    ),
    daughter_marker="br.",
)

BALI = Culture(
    style="bali",
    male=(
        "Sudarsana", "Suarsana", "Artawan", "Budiasa", "Mahendra", "Wirawan", "Adnyana",
        "Suparta", "Sudiarta", "Sukadana", "Antara", "Arsana", "Darmawan", "Wijaya", "Suardana",
        "Sutama", "Mertayasa", "Sukarya", "Widiana", "Kariasa", "Suweca", "Astawa", "Parwata",
        "Sumerta", "Arimbawa", "Yasa", "Pramana", "Putra",
    ),
    female=(
        "Sukerti", "Suarni", "Artini", "Kartika", "Darmayanti", "Sriasih", "Sumiati", "Wahyuni",
        "Lestari", "Ariani", "Sukarmi", "Suardani", "Puspitawati", "Yuliani", "Adnyani",
        "Suciati", "Wulandari", "Widiastuti", "Sudiartini", "Sariasih", "Ayu", "Murniati",
        "Mertasari", "Sukasih",
    ),
    male_modern=(
        "Agus", "Dharma", "Surya", "Bayu", "Krisna", "Arya", "Adi", "Aditya", "Yoga", "Satya",
        "Angga", "Wira",
    ),
    female_modern=(
        "Ayu", "Sri", "Dewi", "Intan", "Eka", "Dwi", "Trisna", "Sinta", "Anggi", "Pradnya",
        "Diah", "Widya",
    ),
)

#: Balinese birth-order names: first, second, third and fourth child, then the cycle repeats.
BALI_BIRTH_ORDER = (
    ("Wayan", "Putu", "Gede"),
    ("Made", "Kadek", "Nengah"),
    ("Nyoman", "Komang"),
    ("Ketut",),
)
BALI_FIRSTBORN_DAUGHTER = ("Wayan", "Putu", "Luh", "Luh Putu")


def _christian(surnames: tuple[str, ...]) -> Culture:
    return Culture(
        style="marga",
        male=CHRISTIAN_MALE,
        female=CHRISTIAN_FEMALE,
        male_modern=CHRISTIAN_MALE_MODERN,
        female_modern=CHRISTIAN_FEMALE_MODERN,
        surnames=surnames,
    )


NTT = _christian(
    (
        "Ndun", "Manafe", "Bria", "Seran", "Nahak", "Tefa", "Lake", "Mau", "Bere", "Neno",
        "Tallo", "Nenobais", "Taneo", "Kase", "Djami", "Lado", "Ratu", "Bolla", "Messakh", "Pah",
        "Lobo", "Making", "Fernandez", "Da Costa", "Pereira",
    )
)
MALUKU = _christian(
    (
        "Latuconsina", "Tuhumury", "Sahetapy", "Pattinasarany", "Matulessy", "Siahaya",
        "Leiwakabessy", "Tahapary", "Wattimena", "Pattiasina", "Nanlohy", "Tupamahu", "Sopacua",
        "Tanasale", "Lekatompessy", "Saimima", "Hehanussa", "Salakory", "Tomasoa", "Loupatty",
        "Sapulette", "Huwae", "Ririhena",
    )
)
PAPUA = _christian(
    (
        "Wenda", "Kogoya", "Tabuni", "Wanimbo", "Rumbiak", "Yoku", "Kambu", "Mandowen",
        "Rumkorem", "Wonda", "Murib", "Tebay", "Pigai", "Gobai", "Douw", "Mote", "Yikwa",
        "Karubaba", "Rumaropen", "Ayomi", "Wamafma", "Kaisiepo", "Sawaki", "Worumi", "Magai",
    )
)
MINAHASA = _christian(
    (
        "Wowor", "Rondonuwu", "Sumual", "Lumenta", "Tumbelaka", "Kaunang", "Rumengan", "Lumowa",
        "Pangemanan", "Sondakh", "Mandagi", "Rompas", "Wenas", "Mamahit", "Sumampouw", "Kalalo",
        "Tulung", "Runtuwene", "Lengkong", "Tambayong", "Karamoy", "Rumondor", "Supit",
        "Pontoh", "Palar", "Lasut", "Kawengian", "Walangitan", "Moningka",
    )
)

CULTURES: dict[str, Culture] = {
    "jawa": JAWA,
    "sunda": SUNDA,
    "melayu": MELAYU,
    "bugis": BUGIS,
    "umum": UMUM,
    "batak": BATAK,
    "bali": BALI,
    "ntt": NTT,
    "maluku": MALUKU,
    "papua": PAPUA,
    "minahasa": MINAHASA,
}

#: Who lives where, roughly: weights of each culture by province code.
PROVINCE_CULTURES: dict[str, dict[str, int]] = {
    "11": {"melayu": 85, "umum": 10, "jawa": 5},
    "12": {"batak": 55, "melayu": 20, "jawa": 20, "umum": 5},
    "13": {"melayu": 90, "umum": 7, "batak": 3},
    "14": {"melayu": 60, "jawa": 20, "batak": 12, "umum": 8},
    "15": {"melayu": 65, "jawa": 25, "umum": 10},
    "16": {"melayu": 70, "jawa": 22, "umum": 8},
    "17": {"melayu": 65, "jawa": 25, "umum": 10},
    "18": {"jawa": 60, "melayu": 20, "sunda": 12, "umum": 8},
    "19": {"melayu": 75, "jawa": 10, "umum": 15},
    "21": {"melayu": 50, "jawa": 20, "batak": 15, "umum": 15},
    "31": {"umum": 45, "jawa": 30, "sunda": 15, "batak": 5, "minahasa": 5},
    "32": {"sunda": 80, "jawa": 12, "umum": 8},
    "33": {"jawa": 95, "umum": 5},
    "34": {"jawa": 95, "umum": 5},
    "35": {"jawa": 90, "umum": 10},
    "36": {"sunda": 70, "jawa": 15, "umum": 15},
    "51": {"bali": 85, "jawa": 10, "umum": 5},
    "52": {"umum": 80, "bali": 10, "bugis": 10},
    "53": {"ntt": 90, "umum": 5, "bugis": 5},
    "61": {"melayu": 55, "ntt": 20, "jawa": 15, "umum": 10},
    "62": {"melayu": 45, "ntt": 25, "jawa": 20, "umum": 10},
    "63": {"melayu": 75, "jawa": 15, "umum": 10},
    "64": {"melayu": 30, "jawa": 30, "bugis": 25, "ntt": 10, "umum": 5},
    "65": {"melayu": 30, "bugis": 30, "ntt": 25, "jawa": 15},
    "71": {"minahasa": 80, "umum": 15, "bugis": 5},
    "72": {"bugis": 50, "umum": 30, "minahasa": 10, "jawa": 10},
    "73": {"bugis": 90, "umum": 10},
    "74": {"bugis": 70, "umum": 20, "jawa": 10},
    "75": {"umum": 75, "bugis": 15, "minahasa": 10},
    "76": {"bugis": 75, "umum": 25},
    "81": {"maluku": 75, "umum": 15, "bugis": 10},
    "82": {"umum": 55, "maluku": 35, "bugis": 10},
    "91": {"papua": 65, "jawa": 15, "bugis": 10, "maluku": 10},
    "92": {"papua": 60, "jawa": 15, "bugis": 15, "maluku": 10},
    "93": {"papua": 70, "jawa": 15, "bugis": 10, "maluku": 5},
    "94": {"papua": 85, "bugis": 10, "jawa": 5},
    "95": {"papua": 95, "bugis": 5},
    "96": {"papua": 60, "maluku": 15, "bugis": 15, "jawa": 10},
}
DEFAULT_CULTURES: dict[str, int] = {"umum": 100}

# --- Places -----------------------------------------------------------------------------------

STREETS = (
    # flowers and trees
    "Melati", "Mawar", "Anggrek", "Kenanga", "Kamboja", "Cempaka", "Dahlia", "Flamboyan",
    "Teratai", "Seroja", "Beringin", "Cendana", "Cemara", "Kenari", "Bougenville", "Pinang",
    # fruit
    "Mangga", "Rambutan", "Durian", "Nangka", "Jambu", "Kelapa", "Salak", "Duku", "Manggis",
    "Belimbing",
    # national heroes
    "Sudirman", "Diponegoro", "Gatot Subroto", "Ahmad Yani", "Pattimura", "Imam Bonjol",
    "Hasanuddin", "Kartini", "Cut Nyak Dien", "Sisingamangaraja", "Pangeran Antasari",
    "Dewi Sartika", "Ki Hajar Dewantara", "Teuku Umar", "Sam Ratulangi", "Gajah Mada",
    # everyday
    "Merdeka", "Pemuda", "Pahlawan", "Veteran", "Masjid", "Pasar", "Sekolah", "Pendidikan",
    "Kesehatan", "Perintis", "Swadaya", "Gotong Royong", "Bhayangkara", "Nusantara",
    "Kebun Raya", "Persatuan", "Setia Budi", "Mekar Sari", "Harapan", "Damai",
)

ROMAN_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

HAMLETS: dict[str, Hamlets] = {
    "jawa": Hamlets(
        "Dusun",
        (
            "Krajan", "Kidul", "Lor", "Wetan", "Kulon", "Tengah", "Karanganyar", "Sidomulyo",
            "Sukorejo", "Ngasem", "Sumberrejo", "Tegalsari", "Kebonagung", "Ngemplak", "Gondang",
            "Jatisari", "Banjarsari", "Karangrejo", "Sidorejo", "Kauman", "Mulyorejo", "Pandean",
            "Sawahan", "Dukuh",
        ),
    ),
    "sunda": Hamlets(
        "Kp.",
        (
            "Babakan", "Cibeureum", "Cikoneng", "Sukamaju", "Sukasari", "Cijambu", "Sindangsari",
            "Cimanggu", "Pasirjati", "Cilimus", "Margahayu", "Sirnagalih", "Cibodas", "Cipicung",
            "Sukamanah", "Legok", "Ciherang", "Pasir Angin",
        ),
    ),
    "bali": Hamlets(
        "Banjar",
        (
            "Kaja", "Kelod", "Kangin", "Kauh", "Tengah", "Dauh Puri", "Anyar", "Pande",
            "Delod Pasar", "Sari", "Pekandelan", "Bengkel",
        ),
    ),
}
NUMBERED_HAMLETS = Hamlets("Dusun", ROMAN_NUMERALS, numbered=True)
# fmt: on
