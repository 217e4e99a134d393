"""The household factory of the synthetic snapshot (``synthetic.py``):
members, names, addresses, desil, programmes and house conditions, one
household at a time from the village it lives in."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from portal.registry import names
from portal.registry.schema import CSV_COLUMNS, HOUSEHOLD_COLUMNS, PROGRAM_CODES
from portal.registry.synthetic_identity import (
    _BORN_1970,
    _BORN_1975,
    _BORN_1990,
    _BORN_2000,
    _FIRST_KK_ISSUE,
    _FIRST_UPDATE,
    _LAST,
    _calendar,
    _kk_order,
    _Person,
    _SerialBook,
    _years,
)
from portal.registry.synthetic_tables import (  # the generator's tables
    _DESIL_RURAL,
    _DESIL_URBAN,
    _PKH_WITHOUT_COMPONENT,
    _SIZES,
    _TAKE_UP,
    _TIERS,
    _UNRANKED_SHARE,
    _Choice,
    _condition_choices,
)

_PERSON_COLUMNS = ("kk_number", "nik", "full_name", "relationship", "sex", "birth_date")
_ROW_LAYOUT = (*_PERSON_COLUMNS, *HOUSEHOLD_COLUMNS, "updated_at")
if _ROW_LAYOUT != CSV_COLUMNS:
    raise RuntimeError("the synthetic row layout no longer matches schema.CSV_COLUMNS")


def _is_kelurahan(code: str) -> bool:
    """Kelurahan (urban, code ``PP.RR.DD.1xxx``) rather than desa."""
    return code[9] == "1"


@dataclass(slots=True)
class _Village:
    code: str
    urban: bool
    #: Java and Bali build with roof tiles and brick; elsewhere zinc roofs and timber are usual.
    java_bali: bool
    cultures: _Choice[str]
    streets: list[str]
    rw_count: int
    rt_per_rw: int
    #: Rural villages: the hamlet (dusun, kampung, banjar) of each RW, RW 001 first.
    hamlets: list[str]


_PLAIN_NAME = re.compile(r"[A-Za-z ]{3,24}")


# --- Households ---------------------------------------------------------------------------------


class _HouseholdFactory:
    """Makes villages and the rows of their households from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.calendar = _calendar()
        self._cultures = {
            province: _Choice(mix.items()) for province, mix in names.PROVINCE_CULTURES.items()
        }
        self._default_cultures = _Choice(names.DEFAULT_CULTURES.items())
        self._conditions = {
            (urban, java_bali): _condition_choices(urban, java_bali)
            for urban in (False, True)
            for java_bali in (False, True)
        }

    # Villages

    def village(self, code: str, name: str) -> _Village:
        rng = self.rng
        province = code[:2]
        urban = _is_kelurahan(code)
        cultures = self._cultures.get(province, self._default_cultures)
        rw_count = 2 + int(rng.random() * (12 if urban else 6))
        if urban:
            streets = [
                self._street(s) for s in rng.sample(names.STREETS, 4 + int(rng.random() * 9))
            ]
        else:
            main_road = f"Jl. Raya {name}" if _PLAIN_NAME.fullmatch(name) else "Jl. Raya Desa"
            streets = [main_road, *(self._street(s) for s in rng.sample(names.STREETS, 2))]
        return _Village(
            code=code,
            urban=urban,
            java_bali=province in ("31", "32", "33", "34", "35", "36", "51"),
            cultures=cultures,
            streets=streets,
            rw_count=rw_count,
            rt_per_rw=3 + int(rng.random() * 8),
            hamlets=[] if urban else self._hamlets(cultures.pick(rng.random()), rw_count),
        )

    def _street(self, name: str) -> str:
        r = self.rng.random()
        if r < 0.7:
            return f"Jl. {name}"
        if r < 0.85:
            return f"Gg. {name}"
        return f"Gg. {name} {names.ROMAN_NUMERALS[1 + int(self.rng.random() * 4)]}"

    def _hamlets(self, culture: str, count: int) -> list[str]:
        style = names.HAMLETS.get(culture, names.NUMBERED_HAMLETS)
        chosen = style.names[:count] if style.numbered else self.rng.sample(style.names, count)
        return [f"{style.prefix} {hamlet}" for hamlet in chosen]

    def _address(self, village: _Village) -> str:
        r = self.rng.random
        rw = 1 + int(r() * village.rw_count)
        rt_rw = f"RT {1 + int(r() * village.rt_per_rw):03d}/RW {rw:03d}"
        if village.urban or r() < 0.2:
            street = village.streets[int(r() * len(village.streets))]
            return f"{street} No. {1 + int(r() ** 2 * 180)}, {rt_rw}"
        return f"{village.hamlets[rw - 1]} {rt_rw}"

    # Rows

    def household_rows(self, village: _Village, serials: _SerialBook) -> list[tuple[str, ...]]:
        """The CSV rows of one new household in ``village``, head of the family first."""
        rng = self.rng
        people = self._members(village)
        self._name_all(people)
        iso = self.calendar.iso
        niks = []
        for person in people:
            nik, person.birth = serials.nik(person.birth, person.sex)
            niks.append(nik)
        youngest = max(max(p.birth for p in people), _FIRST_KK_ISSUE)
        kk = serials.kk(youngest + int(rng.random() * (_LAST - youngest + 1)))
        household = self._household_columns(village, people)
        verified = _FIRST_UPDATE + int(rng.random() * (_LAST - _FIRST_UPDATE + 1))
        rows = []
        for person, nik in zip(people, niks, strict=True):
            person_columns = (kk, nik, person.name, person.relationship, person.sex)
            birth, updated = iso[person.birth], iso[self._updated_at(verified, person.birth)]
            rows.append((*person_columns, birth, *household, updated))
        return rows

    def _updated_at(self, verified: int, birth: int) -> int:
        """Most members were verified with their household; some on another day, none before
        they were born."""
        r = self.rng.random
        day = verified
        if r() < 0.2:
            day = _FIRST_UPDATE + int(r() * (_LAST - _FIRST_UPDATE + 1))
        if day < birth:
            day = birth + int(r() * (_LAST - birth + 1))
        return day

    def _household_columns(self, village: _Village, people: list[_Person]) -> tuple[str, ...]:
        r = self.rng.random
        desil_choice = _DESIL_URBAN if village.urban else _DESIL_RURAL
        desil = None if r() < _UNRANKED_SHARE else desil_choice.pick(r())
        # Unranked households are not all poor or rich: give their house a hidden desil.
        wealth = desil or desil_choice.pick(r())
        tier = (wealth - 1) // 2
        noise = r()
        if noise < 0.15:
            tier = max(tier - 1, 0)
        elif noise > 0.85:
            tier = min(tier + 1, _TIERS - 1)
        values = {
            "village_code": village.code,
            "address": self._address(village),
            "desil": str(desil) if desil else "",
            "programs": self._programs(desil, people),
            "floor_area_m2": str(self._floor_area(tier, len(people), village.urban)),
        }
        for column, by_tier in self._conditions[village.urban, village.java_bali].items():
            values[column] = by_tier[tier].pick(r())
        return tuple(values[column] for column in HOUSEHOLD_COLUMNS)

    def _programs(self, desil: int | None, people: list[_Person]) -> str:
        """Programmes received: only within their desil limits, and not by every eligible family."""
        if desil is None:
            return ""
        r = self.rng.random
        received = []
        for code in PROGRAM_CODES:
            take_up = _TAKE_UP[code]
            if desil > len(take_up):
                continue
            chance = take_up[desil - 1]
            if code == "PKH" and not _has_pkh_component(people):
                chance *= _PKH_WITHOUT_COMPONENT
            if r() < chance:
                received.append(code)
        return ";".join(received)

    def _floor_area(self, tier: int, size: int, urban: bool) -> int:
        median = 24 + 10 * tier + 6 * size
        area = median * self.rng.lognormvariate(0, 0.35) * (0.85 if urban else 1.0)
        return min(max(round(area), 12), 300)

    # Who lives in the household

    def _members(self, village: _Village) -> list[_Person]:
        """Head, usually a spouse, children, sometimes grandchildren, parents or relatives."""
        r = self.rng.random
        size = _SIZES.pick(r())
        head = self._head(size, village)
        people = [head]
        spouse = None
        if size > 1 and r() < (0.93 if head.sex == "L" else 0.3):
            spouse = self._spouse(head, village)
            people.append(spouse)
        parents = [head] if spouse is None else [head, spouse]
        father = next((p for p in parents if p.sex == "L"), None) or self._absent_father(head)
        free = size - len(people)
        if free >= 2 and r() < 0.25:
            free -= self._add_grown_child_family(people, parents, father, village, free)
        if free and r() < 0.12:
            free -= self._add_elders(people, head, spouse, free)
        window = _child_window(parents)
        for _ in range(free):
            people.append(self._child_or_relative(head, father, window))
        people.sort(key=_kk_order)
        return people

    def _head(self, size: int, village: _Village) -> _Person:
        r, gauss = self.rng.random, self.rng.gauss
        female = r() < (0.35 if size == 1 else 0.12)
        if size == 1:
            age = gauss(27, 5) if r() < 0.3 else gauss(66, 10)
        else:
            age = gauss(54 if female else 46, 12)
        age = min(max(age, 18), 88)
        culture = village.cultures.pick(r())
        return _Person("kepala_keluarga", "P" if female else "L", _LAST - _years(age), culture)

    def _spouse(self, head: _Person, village: _Village) -> _Person:
        r = self.rng.random
        older_by = self.rng.gauss(4, 4) if head.sex == "L" else self.rng.gauss(-4, 4)
        birth = min(max(head.birth + _years(older_by), 0), _LAST - _years(17))
        culture = head.culture if r() < 0.8 else village.cultures.pick(r())
        if head.sex == "L":
            return _Person("istri", "P", birth, culture)
        return _Person("suami", "L", birth, culture)

    def _absent_father(self, head: _Person) -> _Person:
        """Stands in for the father of a female head's children, so they can carry his name."""
        culture = names.CULTURES[head.culture]
        pool = culture.surnames if culture.style == "marga" else culture.male_second
        family = self.rng.choice(pool) if pool else ""
        return _Person("", "L", head.birth, head.culture, family=family)

    def _child_or_relative(
        self, head: _Person, father: _Person, window: tuple[int, int] | None
    ) -> _Person:
        r = self.rng.random
        sex = "L" if r() < 0.51 else "P"
        if window and r() < 0.96:
            low, high = window
            birth = low + int(r() * (high - low + 1))
            return _Person("anak", sex, birth, father.culture, lineage=father)
        if r() < 0.9:
            low = max(head.birth - _years(15), 0)
            return _Person("famili_lain", sex, low + int(r() * (_LAST - low + 1)), head.culture)
        birth = _LAST - _years(15 + r() * 45)
        return _Person("lainnya", sex, birth, self._any_culture(head))

    def _any_culture(self, head: _Person) -> str:
        return head.culture if self.rng.random() < 0.7 else "umum"

    def _add_grown_child_family(
        self,
        people: list[_Person],
        parents: list[_Person],
        father: _Person,
        village: _Village,
        free: int,
    ) -> int:
        """An adult child living at home with their own children, often with their spouse."""
        r = self.rng.random
        window = _child_window(parents)
        if window is None or window[0] > min(window[1], _LAST - _years(20)):
            return 0
        low, high = window[0], min(window[1], _LAST - _years(20))
        sex = "L" if r() < 0.5 else "P"
        child = _Person("anak", sex, low + int(r() * (high - low + 1)), father.culture, father)
        added = [child]
        if free >= 3 and r() < 0.6:
            in_law_birth = child.birth + _years(self.rng.gauss(-3 if sex == "P" else 3, 3))
            added.append(
                _Person(
                    "menantu",
                    "P" if sex == "L" else "L",
                    min(max(in_law_birth, 0), _LAST - _years(17)),
                    village.cultures.pick(r()),
                )
            )
        grandchildren_window = _child_window(added)
        if grandchildren_window:
            their_father = next((p for p in added if p.sex == "L"), None)
            culture = their_father.culture if their_father else child.culture
            low, high = grandchildren_window
            for _ in range(min(free - len(added), 1 + int(r() * 3))):
                birth = low + int(r() * (high - low + 1))
                sex = "L" if r() < 0.51 else "P"
                added.append(_Person("cucu", sex, birth, culture, lineage=their_father))
        people.extend(added)
        return len(added)

    def _add_elders(
        self, people: list[_Person], head: _Person, spouse: _Person | None, free: int
    ) -> int:
        """One or both parents of the head (orang tua) or of the spouse (mertua)."""
        r = self.rng.random
        whose = spouse if spouse is not None and r() < 0.4 else head
        relationship = "orang_tua" if whose is head else "mertua"
        latest = whose.birth - _years(18)
        if latest < 0:
            return 0
        earliest = max(whose.birth - _years(45), 0)
        sexes = ("L", "P") if free >= 2 and r() < 0.3 else ("P" if r() < 0.7 else "L",)
        for sex in sexes:
            birth = earliest + int(r() * (latest - earliest + 1))
            # A father shares his child's marga, so the name can be taken from the child.
            lineage = whose if sex == "L" else None
            people.append(_Person(relationship, sex, birth, whose.culture, lineage=lineage))
        return len(sexes)

    # Names

    def _name_all(self, people: list[_Person]) -> None:
        """Name everyone; people come in family-card order, so parents are named first."""
        children = 0
        for person in people:
            birth_order = -1
            if person.relationship == "anak":
                birth_order, children = children, children + 1
            self._name(person, birth_order)

    def _name(self, person: _Person, birth_order: int) -> None:
        culture = names.CULTURES[person.culture]
        lineage = person.lineage
        family = lineage.family if lineage and lineage.culture == person.culture else ""
        if culture.style == "bali":
            person.name = self._bali_name(culture, person, birth_order)
            return
        if culture.style == "marga":
            person.name, person.family = self._marga_name(culture, person, family)
            return
        if family and person.relationship in ("anak", "cucu"):
            inherit = 0.4 if person.sex == "L" else 0.15
            family = family if self.rng.random() < inherit else ""
        else:
            family = ""
        person.name, person.family = self._given_name(culture, person, family)

    def _first_name(self, culture: names.Culture, person: _Person) -> str:
        rng = self.rng
        modern = rng.random() < _modern_name_share(person.birth)
        if person.sex == "L":
            return rng.choice(culture.male_modern if modern else culture.male)
        return rng.choice(culture.female_modern if modern else culture.female)

    def _given_name(self, culture: names.Culture, person: _Person, family: str) -> tuple[str, str]:
        """("Budi Santoso", "Santoso"): a first name, often a second; children may take the
        father's second name."""
        rng = self.rng
        male = person.sex == "L"
        first = self._first_name(culture, person)
        prefixes = culture.male_prefixes if male else culture.female_prefixes
        if prefixes and rng.random() < 0.12:
            prefix = rng.choice(prefixes)
            if not first.startswith(prefix.rstrip(".")):
                first = f"{prefix} {first}"
        second = family
        if not second:
            single = culture.single_name
            if person.birth >= _BORN_1970:
                single *= 0.2 if person.birth >= _BORN_1990 else 0.5
            if rng.random() >= single:
                if person.birth >= _BORN_1990 and rng.random() < 0.5:
                    pool = names.MODERN_MALE_SECOND if male else names.MODERN_FEMALE_SECOND
                else:
                    pool = culture.male_second if male else culture.female_second
                second = rng.choice(pool)
        if not second or first.endswith(second):
            return first, first.rsplit(" ", 1)[-1]
        return f"{first} {second}", second

    def _marga_name(self, culture: names.Culture, person: _Person, family: str) -> tuple[str, str]:
        """("Tigor Siregar", "Siregar"): given name(s) and the father's family name."""
        rng = self.rng
        given = self._first_name(culture, person)
        if rng.random() < 0.25:
            more = self._first_name(culture, person)
            if more != given:
                given = f"{given} {more}"
        surname = family or rng.choice(culture.surnames)
        if person.sex == "P" and culture.daughter_marker and rng.random() < 0.3:
            return f"{given} {culture.daughter_marker} {surname}", surname
        return f"{given} {surname}", surname

    def _bali_name(self, culture: names.Culture, person: _Person, birth_order: int) -> str:
        """I/Ni, the birth-order name, a given name: "I Made Suarsana", "Ni Ketut Sukerti"."""
        rng = self.rng
        if birth_order < 0:
            birth_order = int(rng.random() ** 1.5 * 4)
        slot = birth_order % len(names.BALI_BIRTH_ORDER)
        if person.sex == "P" and slot == 0:
            order_name = rng.choice(names.BALI_FIRSTBORN_DAUGHTER)
        else:
            order_name = rng.choice(names.BALI_BIRTH_ORDER[slot])
        given = self._first_name(culture, person)
        if rng.random() < 0.3:
            more = rng.choice(culture.male if person.sex == "L" else culture.female)
            if more != given:
                given = f"{given} {more}"
        return f"{'I' if person.sex == 'L' else 'Ni'} {order_name} {given}"


def _modern_name_share(birth: int) -> float:
    """How many people born on day ``birth`` have a name from the modern pool."""
    if birth >= _BORN_2000:
        return 0.9
    if birth >= _BORN_1990:
        return 0.7
    return 0.25 if birth >= _BORN_1975 else 0.05


def _child_window(parents: list[_Person]) -> tuple[int, int] | None:
    """Birth days possible for a child of ``parents``: born when both were 17 or older, the
    mother at most 45 and the father at most 60. None when there is no such day."""
    low = max(p.birth for p in parents) + _years(17)
    high = min(p.birth + _years(45 if p.sex == "P" else 60) for p in parents)
    high = min(high, _LAST)
    return (low, high) if low <= high else None


_PKH_CHILD = _years(18)
_PKH_ELDER = _years(60)


def _has_pkh_component(people: list[_Person]) -> bool:
    """A child under 18 or someone aged 60 or more lives in the household."""
    return any(p.birth > _LAST - _PKH_CHILD or p.birth <= _LAST - _PKH_ELDER for p in people)
