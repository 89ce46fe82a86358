"""Generator for the built-in English named-entity corpus (2-column CoNLL, IOB2).

Every sentence of ``textenvs/data/builtin/ner/*.conll`` is produced by this module from the
hand-written templates and hand-written name lists below; nothing is copied from a public
dataset. Most organisations, towns, events, awards and products are invented; ordinary first
names, surnames and real countries and cities are used alongside them.

Design:
    * Tags are IOB2 over PER, ORG, LOC and MISC (nationalities, languages, events, awards,
      products, treaties). Titles ("President", "Chief Executive"), days, months and
      sentence-initial words are capitalised but tagged ``O``. Towns used as sports teams
      ("Eastfield beat Redcliff 2-1") are ORG, as in CoNLL-2003.
    * Held-out names: every name list is cut into a *shared* and a *held-out* half. The
      train split draws names from the shared half only; validation and test draw each
      entity from the held-out half with probability ``HELDOUT_RATE`` and from the shared
      half otherwise. Memorising names from train therefore fails on many evaluation
      mentions, while a model that reads context and capitalisation generalises.
    * Ambiguous names: the words in ``AMBIGUOUS`` ("Jordan", "Ford", "Florence", ...) never
      come from the ordinary lists. Each split holds a fixed schedule of sentences that puts
      every such word in each of its roles (person, place, organisation) an equal number of
      times, in a template whose context decides the role ("Jordan scored twice" / "flights
      from Jordan"). Tagging a word with its most frequent tag therefore loses real F1.
    * Variety: templates cover news, politics, business, sport, travel, science, culture,
      quotes, lists, title-case and ALL-CAPS headlines, datelines, short fragments and
      sentences without entities; optional openers and trailing clauses vary the length.
    * Determinism: all randomness comes from ``random.Random`` objects seeded from the
      ``seed`` argument, and only lists and tuples are iterated, so the files are
      byte-identical on every run.

With the shipped seed, tagging each word with its most frequent training tag scores between
0.5 and 0.6 entity-level F1 on validation and test, while a plain window-feature classifier
scores above 0.9.

Template syntax: text with ``{kind}`` slots (see ``ENTITY_KINDS`` and ``FILLER_KINDS``),
tokenised like the Penn Treebank (``Smith's`` -> ``Smith 's``). ``{per#a}`` names a person so
that ``{last#a}`` can refer back to their surname; ``{city:upper}`` writes the slot in
capitals (datelines).

Regenerate the shipped files (from the repository root)::

    python -m textenvs.data.builtin.make_ner_corpus

``--out DIR`` writes the three files elsewhere; ``--seed N`` changes the seed.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 20240611
"""Seed of the shipped files."""

SPLIT_SIZES: dict[str, int] = {"train": 1600, "validation": 300, "test": 300}
"""Number of sentences per split, in the order the splits are generated."""

HELDOUT_RATE = 0.4
"""Probability that a validation/test entity draws its name from the held-out half."""

AMBIGUOUS_REPEATS: dict[str, int] = {"train": 5, "validation": 1, "test": 1}
"""How many scheduled sentences each (ambiguous word, role) pair gets per split."""

CAPS_GROUPS = ("caps",)
"""Template groups rendered in ALL CAPS."""

MAX_TOKENS = 42
"""Trailing clauses are not added beyond this sentence length."""

Sentence = tuple[list[str], list[str]]
"""A sentence as (words, IOB2 tags)."""

# ---------------------------------------------------------------------------------------------
# Name lists. Each list is split into a shared and a held-out half by ``_split_pool``.
# None of these may contain a word of ``AMBIGUOUS`` (checked by ``_check_pools``).
# ---------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "James", "Maria", "David", "Anna", "Michael", "Elena", "Thomas", "Sofia", "Daniel", "Laura",
    "Peter", "Sarah", "Robert", "Julia", "Mark", "Helen", "Paul", "Emma", "Andrew", "Nina",
    "Richard", "Clara", "Stefan", "Ingrid", "Pierre", "Amelie", "Carlos", "Lucia", "Ahmed",
    "Fatima", "Kenji", "Yuki", "Wei", "Mei", "Raj", "Priya", "Olusegun", "Amara", "Ivan", "Olga",
    "Lars", "Astrid", "Pavel", "Marta", "Diego", "Carmen", "Hans", "Greta", "Luca", "Giulia",
    "Tomas", "Eva", "Samuel", "Ruth", "Omar", "Leila", "Kwame", "Ama", "Sean", "Siobhan",
    "Henrik", "Freya", "Mateo", "Valentina", "Arjun", "Ananya", "Hiroshi", "Aiko", "Mikhail",
    "Tatiana", "Jonas", "Lena", "Felipe", "Beatriz", "Joseph", "Grace", "Victor", "Irene",
    "Martin", "Alice", "George", "Rosa", "Frank", "Nadia", "Oscar", "Hannah", "Leon", "Vera",
    "Simon", "Esther", "Karl", "Monika", "Patrick", "Claire", "Edward", "Diana", "Felix", "Ines",
    "Hugo", "Sara", "Jean-Luc", "Anne-Marie", "Bogdan", "Zofia", "Tariq", "Yasmin", "Chidi",
    "Ngozi", "Sven", "Malin", "Rafael", "Camila", "Dmitri", "Katya", "Liam", "Niamh", "Arturo",
    "Paloma", "Jakub", "Hana",
)  # fmt: skip

SURNAMES = (
    "Smith", "Ellis", "Brooks", "Carter", "Reed", "Hughes", "Turner", "Walsh", "Murphy",
    "O'Neill", "Kowalski", "Novak", "Horvat", "Petrov", "Ivanova", "Schmidt", "Weber", "Fischer",
    "Becker", "Dubois", "Moreau", "Laurent", "Rossi", "Bianchi", "Romano", "Garcia", "Fernandez",
    "Lopez", "Moreno", "Silva", "Santos", "Costa", "Pereira", "Tanaka", "Sato", "Nakamura",
    "Chen", "Wang", "Liu", "Zhang", "Kim", "Park", "Singh", "Patel", "Sharma", "Okafor", "Mensah",
    "Adeyemi", "Mwangi", "Haddad", "Nasser", "Cohen", "Levy", "Jensen", "Nielsen", "Larsen",
    "Lindqvist", "Virtanen", "Korhonen", "Nowak", "Dvorak", "Kovacs", "Szabo", "Popescu",
    "Georgiou", "Papadopoulos", "Yilmaz", "Demir", "van der Berg", "de la Cruz", "Le Roux",
    "ter Horst", "Al-Rashid", "Fitzgerald", "Harper", "Whitaker", "Lindgren", "Castellano",
    "Okonkwo", "Abernathy", "Delacroix", "Rahman", "Haines", "Mercer", "Prentice", "Sutherland",
    "Blackwood", "Ashford", "Kingsley", "Thornton", "Hale", "Quinn", "Byrne", "Kaplan",
    "Dlamini", "Ndlovu", "Osei", "Boateng", "Aziz", "Karimi", "Hosseini", "Suzuki", "Ito",
    "Takahashi", "Nguyen", "Tran", "Pham", "Gonzalez", "Ramirez", "Torres", "Vargas", "Ortiz",
    "Keller", "Brandt", "Vogel", "Hartmann", "Eriksen", "Halvorsen", "Moretti", "Esposito",
    "Conti", "Marino", "Kowalczyk", "Wojcik", "van Dam", "da Costa", "MacLeod", "St. Clair",
)  # fmt: skip

COUNTRIES = (
    "France", "Germany", "Brazil", "Kenya", "Japan", "Canada", "Norway", "Italy", "Spain",
    "Portugal", "Egypt", "India", "Mexico", "Chile", "Peru", "Poland", "Sweden", "Finland",
    "Ghana", "Nigeria", "Turkey", "Greece", "Ireland", "Austria", "Hungary", "Romania",
    "Vietnam", "Indonesia", "Argentina", "Morocco", "Denmark", "Belgium", "South Africa",
    "New Zealand", "Sri Lanka", "Costa Rica", "South Korea", "Saudi Arabia", "Iceland",
    "Uruguay", "Norland", "Valdoria", "Estmark", "Karesh", "Tuvara", "Solvenia", "Marovia",
    "Aldmere", "Quessa", "Brantia", "East Corrland", "San Lorien",
)  # fmt: skip

NATIONALITIES = (
    "French", "German", "Brazilian", "Kenyan", "Japanese", "Canadian", "Norwegian", "Italian",
    "Spanish", "Portuguese", "Egyptian", "Indian", "Mexican", "Chilean", "Peruvian", "Polish",
    "Swedish", "Finnish", "Ghanaian", "Nigerian", "Turkish", "Greek", "Irish", "Austrian",
    "Hungarian", "Romanian", "Vietnamese", "Indonesian", "Argentine", "Moroccan", "Danish",
    "Belgian", "South African", "Sri Lankan", "South Korean", "Icelandic", "Uruguayan", "Dutch",
    "Swiss", "Scottish", "Welsh", "Australian", "Norlander", "Valdorian", "Estmarkian",
    "Tuvaran", "Solvenian", "Marovian",
)  # fmt: skip

LANGUAGES = (
    "English", "Arabic", "Mandarin", "Swahili", "Hindi", "Russian", "Basque", "Catalan", "Tamil",
    "Yoruba", "Korean", "Esperanto", "Latin", "Bengali", "Hebrew", "Zulu", "Tagalog", "Urdu",
    "Amharic", "Quechua", "Gaelic", "Maltese", "Estonian", "Persian", "Norlandic",
    "Old Valdorian",
)  # fmt: skip

TOWNS = (
    "Eastfield", "Westbrook", "Ashby", "Kingsmoor", "Dunhaven", "Millbrook", "Rivermouth",
    "Saltmarsh", "Thornbury", "Bramwell", "Oakridge", "Fairhaven", "Glenmore", "Redcliff",
    "Stonebridge", "Brightwell", "Northam", "Castelverde", "Bergholm", "Nordby", "Havnstad",
    "Ostberg", "Lindenfeld", "Marbury", "Ravensby", "Elmstead", "Hollowell", "Kessington",
    "Dunmore", "Greywater", "Linford", "Pembury", "Sandmoor", "Tillbrook", "Wexham", "Carrow",
    "Auderne", "Montclair", "Valmont", "Halloway",
)  # fmt: skip
"""Single-word (mostly invented) towns; also used to build team, company and event names."""

OTHER_CITIES = (
    "London", "Berlin", "Madrid", "Lisbon", "Cairo", "Nairobi", "Tokyo", "Toronto", "Oslo",
    "Rome", "Lima", "Warsaw", "Stockholm", "Helsinki", "Accra", "Lagos", "Istanbul", "Athens",
    "Dublin", "Vienna", "Budapest", "Bucharest", "Hanoi", "Jakarta", "Buenos Aires",
    "Casablanca", "Copenhagen", "Brussels", "Cape Town", "Auckland", "Colombo", "Prague",
    "Seoul", "Rio de Janeiro", "Mexico City", "Kuala Lumpur", "Hong Kong", "Montevideo",
    "Reykjavik", "Geneva", "Glasgow", "Manchester", "Marseille", "Hamburg", "Porto", "Naples",
    "New Harbor City", "Port Calloway", "Lake Meridian", "San Teodoro", "Santa Ilaria",
    "Villanova del Mar", "Fort Ashcroft", "Mirabel Bay", "Upper Marlow", "North Kessel",
    "Bad Lindau", "Saint Orrin",
)  # fmt: skip

REGIONS = (
    "Bavaria", "Tuscany", "Patagonia", "Siberia", "Andalusia", "Normandy", "Flanders",
    "Catalonia", "Anatolia", "Lapland", "Tasmania", "Galicia", "Silesia", "Transylvania",
    "Cornwall", "Yorkshire", "Ontario", "Queensland", "Hokkaido", "Crete", "Sicily", "Sardinia",
    "Bali", "Zanzibar", "Provence", "Alsace", "Greenwater Province", "Fenmark", "Lower Aldwin",
    "Westmarch", "Corran Island", "North Valley", "Lake Orla", "Mount Kessel", "Tamsin Valley",
    "Highmoor", "Sarnland", "Upper Marrow", "Amber Coast", "Eastern Cape",
)  # fmt: skip
"""Provinces, islands and landscapes that read naturally without an article."""

COMPANIES = (
    "Bluecrest Holdings", "Norland Pharma", "Altavia Systems", "Quorra Motors",
    "Greyline Shipping", "Solenne Foods", "Brightwater Energy", "Kestrel Aerospace",
    "Vantor Bank", "Orion Mining", "Tessaract Software", "Halden Steel", "Marlowe & Finch",
    "Corvid Telecom", "Pinnacle Retail Group", "Ashgrove Insurance", "Lumen Biotech",
    "Redfern Airways", "Cobalt Logistics", "Northstar Media", "Everly Chemicals",
    "Driftwood Hotels", "Silverline Rail", "Ironbridge Capital", "Mosaic Textiles",
    "Westmark Securities", "Polaris Foods", "Verdant Agritech", "Auric Gold",
    "Tidewater Fisheries", "Skyreach Networks", "Obsidian Games", "Copperleaf Paper",
    "Falconer Brewing", "Brackenridge Mills", "Veltro", "Omnira", "Zephyra", "Kalimex",
    "Trevani", "Aquilon", "Nordvik", "Sarrazin", "Hexley", "Pellucid", "Daventa",
    "Larkspur Group", "Cinder & Vale", "Amberfield Bank", "Highgate Partners", "Meridian Trust",
    "Quillon Electric", "Rostova Oil", "Juniper Labs",
)  # fmt: skip

COMPANY_SUFFIXES = (
    "Brewing", "Shipping", "Holdings", "Motors", "Bank", "Mining", "Electric", "Foods",
    "Textiles", "Airways", "Steel", "Insurance",
)  # fmt: skip
"""Generic words for "<town> <suffix>" companies; shared by all splits."""

TEAM_SUFFIXES = (
    "Rovers", "United", "Athletic", "Wanderers", "Rangers", "Albion", "Eagles", "Lions", "Hawks",
    "Falcons", "Harriers", "Town", "Olympic", "FC",
)  # fmt: skip
"""Generic words for "<town> <suffix>" teams; shared by all splits."""

TEAM_PREFIXES = ("Real", "Sporting", "Dynamo", "Inter", "Racing")
"""Generic words for "<prefix> <town>" teams; shared by all splits."""

AGENCIES = (
    "United Nations", "European Union", "World Bank", "Red Cross", "National Statistics Office",
    "Coastal Water Board", "International Rowing Federation", "Council of Northern States",
    "Federal Aviation Board", "Central Elections Commission", "International Monetary Council",
    "Northern Monetary Authority", "Global Health Alliance", "Ocean Research Council",
    "Interior Ministry", "Finance Ministry", "Supreme Court", "Constitutional Court",
    "National Police Agency", "Harbor Authority", "Continental Trade Organisation",
    "Northern Rail Commission",
)  # fmt: skip

PARTIES = (
    "Progressive Union Party", "National Renewal Party", "Green Alliance",
    "Liberal Democratic Front", "Social Democratic Union", "Workers Front", "Farmers League",
    "New Dawn Movement", "Coastal Independence Party", "Labour Alliance",
    "Freedom and Justice Party", "Unity Party", "Reform Coalition", "Centre Party",
    "Popular Front", "Civic Renewal",
)  # fmt: skip

MEDIA = (
    "Daily Meridian", "Morning Courier", "Continental Press Agency",
    "Coastal Broadcasting Corporation", "Weekly Observer", "National Radio", "Global Wire",
    "Harbor Times", "Northern Post", "Sunday Chronicle", "Valdoria Today", "Business Daily",
    "Radio Norland", "Evening Sentinel",
)  # fmt: skip

SPORT_EVENTS = (
    "World Cup", "Olympic Games", "Continental Cup", "Tour of Norland", "Grand Regatta",
    "Winter Games", "Champions League", "Masters Series", "Silver Cup", "Island Games",
    "Nations Trophy", "Open Championship", "Ocean Race", "Federation Shield", "Harbor Marathon",
    "Coastal Classic", "Golden League", "Super Series",
)  # fmt: skip

FESTIVALS = (
    "Northern Lights Festival", "Summer Arts Fair", "Autumn Book Fair", "Coastal Jazz Week",
    "Spring Film Festival", "Harvest Moon Parade", "Midsummer Music Festival",
    "Lantern Festival", "World Expo", "Festival of Lights", "Winter Carnival", "Great Food Show",
    "Open Doors Week", "Poetry Summer",
)  # fmt: skip

AWARDS = (
    "Golden Quill Award", "Silver Compass Prize", "Meridian Medal", "Hartwell Prize",
    "Order of the Lantern", "Blue Heron Award", "Nobel Prize", "Crystal Lens Award",
    "Copper Star", "Laurel Medal", "Aldous Prize for Poetry", "Prix Lumiere", "Golden Anchor",
    "Stellar Science Award", "Beacon Award", "Ironwood Prize", "Medal of Valor",
    "Harbor Prize for Fiction", "Young Scientist Award", "Evergreen Award", "Kessel Medal",
    "Silver Lyre",
)  # fmt: skip

PRODUCTS = (
    "Skyline X5", "Nimbus 7", "Orbit Pro", "Falcon 900", "Aurora Mk II", "Pathfinder 3",
    "Vega 12", "Strata One", "Helix Max", "Corsair GT", "Atlas V2", "Beacon Mini", "Lynx 4",
    "Quasar S", "Tempest 200", "Zenith Air", "Halo Lite", "Comet XL", "Solstice 8", "Meteor Z",
    "Nova Prime", "Cirrus 5", "Tundra LX", "Pebble Go",
)  # fmt: skip

TREATIES = (
    "Treaty of Corran", "Kessel Accord", "Harbor Agreement", "Northern Fisheries Pact",
    "Treaty of Aldmere", "Valdoria Convention", "Tamsin River Accord", "Sarn Declaration",
    "Baltic Trade Charter", "Coastal Waters Treaty", "Lisbon Charter", "Greywater Protocol",
)  # fmt: skip

# Capitalised words that are never entities (tagged O).
TITLES = (
    "President", "Prime Minister", "Finance Minister", "Foreign Minister", "Senator", "Governor",
    "Mayor", "General", "Ambassador", "Minister", "Deputy Minister", "Vice President",
)  # fmt: skip
"""Political titles for ``{title}``; other titles ("Dr.", "Chief Executive") are literal."""
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Ambiguous words: each is used only through the schedule, once per role per repeat.
# Roles: PER_FIRST / PER_LAST (person), LOC_CITY / LOC_COUNTRY / LOC_REGION (place),
# ORG_COMPANY / ORG_TEAM (organisation).
# ---------------------------------------------------------------------------------------------

AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "Jordan": ("PER_FIRST", "LOC_COUNTRY"),
    "Washington": ("PER_LAST", "LOC_CITY", "ORG_TEAM"),
    "Ford": ("PER_LAST", "ORG_COMPANY"),
    "Morgan": ("PER_LAST", "ORG_COMPANY"),
    "Lincoln": ("PER_LAST", "LOC_CITY"),
    "Florence": ("PER_FIRST", "LOC_CITY"),
    "Chelsea": ("PER_FIRST", "LOC_CITY", "ORG_TEAM"),
    "Georgia": ("PER_FIRST", "LOC_COUNTRY"),
    "Austin": ("PER_FIRST", "LOC_CITY"),
    "Phoenix": ("PER_FIRST", "LOC_CITY", "ORG_TEAM"),
    "Sydney": ("PER_FIRST", "LOC_CITY"),
    "Dallas": ("PER_FIRST", "LOC_CITY", "ORG_TEAM"),
    "Paris": ("PER_FIRST", "LOC_CITY"),
    "Virginia": ("PER_FIRST", "LOC_REGION"),
    "Victoria": ("PER_FIRST", "LOC_CITY"),
    "Carolina": ("PER_FIRST", "LOC_REGION"),
    "Jackson": ("PER_LAST", "LOC_CITY"),
    "Madison": ("PER_FIRST", "LOC_CITY"),
    "Marshall": ("PER_LAST", "ORG_COMPANY"),
    "Hudson": ("PER_LAST", "LOC_CITY"),
    "Cameron": ("PER_LAST", "ORG_COMPANY"),
    "Preston": ("PER_FIRST", "LOC_CITY", "ORG_TEAM"),
    "Chester": ("PER_FIRST", "LOC_CITY"),
    "Kent": ("PER_LAST", "LOC_REGION"),
    "Mercedes": ("PER_FIRST", "ORG_COMPANY"),
    "Israel": ("PER_FIRST", "LOC_COUNTRY"),
    "Houston": ("PER_LAST", "LOC_CITY", "ORG_TEAM"),
    "Denver": ("PER_LAST", "LOC_CITY"),
    "Charlotte": ("PER_FIRST", "LOC_CITY"),
    "Savannah": ("PER_FIRST", "LOC_CITY"),
    "Wellington": ("PER_LAST", "LOC_CITY"),
    "Lancaster": ("PER_LAST", "LOC_CITY"),
    "Dell": ("PER_LAST", "ORG_COMPANY"),
    "Sterling": ("PER_LAST", "ORG_COMPANY"),
}

ROLE_SLOTS: dict[str, tuple[str, ...]] = {
    "PER_FIRST": ("per", "first"),
    "PER_LAST": ("per", "last"),
    "LOC_CITY": ("city", "loc"),
    "LOC_COUNTRY": ("country", "loc"),
    "LOC_REGION": ("region", "loc"),
    "ORG_COMPANY": ("company", "org"),
    "ORG_TEAM": ("team",),
}
"""Slot kinds into which a word of each ambiguous role can be placed."""

# ---------------------------------------------------------------------------------------------
# Templates, by group. GROUP_WEIGHTS gives the share of ordinary (unscheduled) sentences.
# ---------------------------------------------------------------------------------------------

TEMPLATES: dict[str, tuple[str, ...]] = {
    "news": (
        "{title} {per} arrived in {city} on {day} for talks with {nat} officials .",
        "{per} said the {agency} would announce its decision next week .",
        "Police in {city} arrested {num} people after protests outside the offices of {company} .",
        "{company} spokesman {per} declined to comment on the report .",
        "The {agency} said in a statement that {num} people had been injured in {city} .",
        "{per}'s lawyer told a court in {city} that the charges were politically motivated .",
        "Heavy rain forced the closure of the main road between {city} and {city} .",
        "{num} people were killed when a bus overturned near {city} , {country} , on {day} .",
        "{per} , who has led {company} since {year} , is expected to step down in {month} .",
        "A spokeswoman for {company} said it was cooperating fully with investigators .",
        "Residents of {city} were told to boil drinking water after flooding in {region} .",
        "The {nat} embassy in {city} was closed on {day} after a security alert .",
        "According to the {media} , {per} resigned from the board on {day} .",
        (
            "Firefighters in {region} fought the blaze for three days before it was brought "
            "under control ."
        ),
        "The {media} reported that {last} had been questioned by police .",
        "Thousands of people gathered in central {city} to mark the anniversary .",
        "Rescue teams from {country} and {country} were sent to {region} after the earthquake .",
        "{per} , a {age} teacher from {city} , was named the winner of the {award} .",
        "Prosecutors in {city} charged {per} with fraud on {day} .",
        "The bridge linking {city} and {city} reopened after two years of repairs .",
        "{per} , the mayor of {city} , promised to build {num} new homes .",
        "Officials said the fire started in a warehouse owned by {company} .",
        "Inspectors from the {agency} will visit {country} later this month .",
        "{org} said it would open a new office in {loc} .",
        "Representatives of {org} and {org} met in {loc} to discuss the plan .",
        "{per#a} was released on bail on {day} , and {last#a} is due back in court in {month} .",
    ),
    "politics": (
        "{title} {per} of the {party} won {pct} percent of the vote in {region} .",
        "The {party} has chosen {per} as its candidate for mayor of {city} .",
        "{per} accused the {party} of ignoring voters in {region} .",
        "{nat} Prime Minister {per} will visit {country} in {month} .",
        "{country} recalled its ambassador from {country} after the incident on {day} .",
        "Talks between {country} and {country} on the {treaty} ended without agreement .",
        "The {agency} warned that {country}'s economy could shrink this year .",
        "Opposition leader {per} called for early elections in {country} .",
        "{per} and {per} held talks in {city} on {day} .",
        "The election in {country} was monitored by observers from the {agency} .",
        "{country} , {country} and {country} signed the {treaty} in {city} in {year} .",
        "{title} {last} told parliament that {country} would not change its position .",
        "Members of the {party} voted to expel {per} on {day} .",
        "The {nat} foreign ministry summoned the {nat} ambassador over the remarks .",
        "{per} , the {nat} foreign minister , arrived in {city} late on {day} .",
        "Voters in {region} will elect a new governor in {month} .",
        "The {party} and the {party} agreed to form a coalition government .",
        "{last} , a former member of the {party} , now sits as an independent .",
        "Diplomats said {country} was ready to sign the {treaty} if {country} did the same .",
        "{title} {per} met {title} {per} in {city} to discuss the border dispute .",
    ),
    "business": (
        "Shares of {company} rose {pct} percent to {money} in early trading .",
        "{company} said on {day} it had agreed to buy {company} for {money} .",
        "{company} chief executive {per} said profits would rise next year .",
        "Chief Executive {per} told shareholders that {company} would pay a special dividend .",
        "{company} reported a net loss of {money} for the third quarter .",
        "Analysts at {company} expect the {nat} central bank to cut interest rates in {month} .",
        "{company} plans to open a factory in {city} , creating {num} jobs .",
        "The merger of {company} and {company} was approved by regulators in {country} .",
        "{company} will launch the {product} in {country} early next year .",
        "{per} , an analyst at {company} in {city} , said the figures were disappointing .",
        "{company} shares fell sharply after the group cut its forecast .",
        "Sales of the {product} have doubled since {month} , {company} said .",
        "The {agency} fined {company} {money} for breaking competition rules .",
        "{company} and {company} are in talks about a joint venture in {country} .",
        "{per} will replace {per} as chairman of {company} on {month} 1 .",
        "Exports from {country} to {country} rose {pct} percent in {month} .",
        "{company} , the {nat} group , said demand had recovered .",
        "The {product} , made by {company} , went on sale in {city} on {day} .",
        "Investors sold {nat} bonds after {title} {per} criticised the central bank .",
        "{company} has cut {num} jobs at its plant in {city} .",
        (
            "{per#a} , head of research at {company} , said {last#a}'s team had worked on the "
            "{product} for three years ."
        ),
    ),
    "sport": (
        "{team} beat {team} {score} on {day} .",
        "{per} scored twice as {team} beat {team} {score} .",
        "{last} scored in the {ordinal} minute to give {team} the lead .",
        "{last} was sent off early in the second half .",
        "{team} coach {per} said the players deserved to win .",
        "{per} ( {country} ) beat {per} ( {country} ) {tennis} .",
        "{per} won the {cup} for the third time in {city} on {day} .",
        "{nat} runner {per} set a course record at the {cup} .",
        "{team} have signed {nat} striker {per} from {team} for an undisclosed fee .",
        "{last} , who joined {team} in {year} , has scored {smallnum} goals this season .",
        "The {cup} will be held in {city} in {year} .",
        "{per} finished second behind {per} in {city} .",
        "{last} passed to {last} , who shot just wide of the post .",
        "{team} remain top of the table after a {draw} draw with {team} .",
        "{first} and {first} both scored for {team} in the first half .",
        "{per} will miss the {cup} with a knee injury .",
        "{team} goalkeeper {last} saved a penalty from {last} .",
        "{nat} champion {per} was knocked out in the first round .",
        "{per} of {country} won the gold medal at the {cup} .",
        "{first} crossed for {first} to head home the winner .",
        "{team} manager {last} was fined after the match against {team} .",
        "{last} has been named in the {nat} squad for the {cup} .",
        "{first} scored twice in {team}'s {score} win over {team} .",
        "{per} shot a {golf} to lead the {cup} by two strokes .",
        (
            "{per#a} signed a new contract with {team} on {day} , and {last#a} said the club had "
            "shown great faith ."
        ),
        "{first} equalised late on before {first} won it for {team} in stoppage time .",
    ),
    "travel": (
        "Flights from {city} to {city} were delayed by fog on {day} .",
        "We spent three days in {city} before driving north to {city} .",
        "The ferry between {city} and {city} was cancelled because of the storm .",
        (
            "Tourists from {country} , {country} and {country} make up most of the visitors to "
            "{region} ."
        ),
        "The mountain road through {region} is closed during the winter .",
        "{city} , {city} and {city} all reported record temperatures on {day} .",
        "Hotels in {city} are fully booked for the {festival} .",
        "{company} will start direct flights between {city} and {country} in {month} .",
        "Hikers are advised to avoid {region} after heavy snow .",
    ),
    "facts": (
        "{per} was born in {city} in {year} and moved to {country} as a child .",
        "The train from {city} to {city} takes about {hours} hours .",
        "{city} is the second largest city in {country} .",
        "The old town of {city} is a short bus ride from the airport .",
        "Most visitors to {country} arrive through {city} .",
        "{company} is based in {city} and employs about {num} people .",
        "Most residents of {region} speak {lang} at home .",
        "The {festival} attracts thousands of visitors to {city} every {month} .",
        "{city} lies on the border between {country} and {country} .",
        "{lang} is an official language in {country} , alongside {lang} .",
        "{per} is married to {per} , a former {nat} diplomat .",
        "{company} is owned by {company} , which is listed in {city} .",
        "The {award} has been awarded every year since {year} .",
        "{team} play their home games at a stadium near {city} airport .",
    ),
    "science": (
        "Researchers at {univ} have developed a cheaper test for malaria .",
        "{per} of {univ} won the {award} for work on climate models .",
        "A study by the {agency} found that air pollution in {city} had fallen .",
        "The {nat} space agency plans to launch a weather satellite in {year} .",
        "{per} , a physicist at {univ} , published the results in {month} .",
        "Scientists in {country} recorded an earthquake of magnitude {mag} near {city} .",
        "The report was translated into {lang} and {lang} .",
        "A team led by {per} discovered a new species of frog in {region} .",
        "{univ} and {company} will jointly fund the new laboratory in {city} .",
        "The trial , run by {univ} , involved {num} patients in {country} .",
        "{per} and {per} shared the {award} for their work on batteries .",
        "Dr. {per} of {univ} said the vaccine would be tested in {country} .",
    ),
    "culture": (
        "{per} won the {award} for a novel set in {city} .",
        "The film , shot in {city} , opens the {festival} on {day} .",
        "{per}'s new album was recorded in {city} .",
        "The {festival} was cancelled this year for the first time since {year} .",
        "The book has been translated into {lang} , {lang} and {lang} .",
        "{per} will receive the {award} at a ceremony in {city} .",
        "The play , written in {lang} , was first performed in {city} in {year} .",
        "{nat} director {per} won the top prize at the {festival} .",
        "{per} sang in {lang} and {lang} during the concert in {city} .",
        "Critics praised {per}'s performance at the {festival} .",
        "The {award} went to {nat} poet {per} , who writes in {lang} .",
    ),
    "quotes": (
        '" We are very happy with the result , " {per} said .',
        '" This is a difficult time for {company} , " said {per} .',
        '" {country} will not accept these terms , " {title} {per} told reporters .',
        '" I have always wanted to play for {team} , " {last} said .',
        '{per} said : " We expect the market in {country} to recover . "',
        '" It was a great day for {nat} sport , " {last} told the {media} .',
        '" We will not leave {city} , " one resident said .',
        '" The {product} is our most important launch this year , " {per} said .',
        '" Nobody expected this , " said {last} , who coaches {team} .',
        '" Our relationship with {country} is stronger than ever , " {per} said in {city} .',
        '" I am not going to resign , " {last} told the {media} on {day} .',
    ),
    "lists": (
        "Squad : {per} , {per} , {per} , {per} , {per} .",
        (
            "Leading scorers : {per} ( {team} ) {smallnum} , {per} ( {team} ) {smallnum} , "
            "{per} ( {team} ) {smallnum}"
        ),
        "Participating countries include {country} , {country} , {country} and {country} .",
        "Sponsors : {company} , {company} and {company} .",
        "Languages : {lang} , {lang} , {lang} .",
        "Scorers : {last} {minute} , {last} {minute} , {last} {minute}",
        (
            "Results : 1. {per} ( {country} ) {time} 2. {per} ( {country} ) {time} "
            "3. {per} ( {country} ) {time}"
        ),
        "{last} c {last} b {last} {num}",
        "{last} lbw b {last} {smallnum}",
        "Cities on the tour : {city} , {city} , {city} and {city} .",
        "Shortlist for the {award} : {per} , {per} and {per} .",
        "Topics : {misc} , {org} , {loc} , {per}",
    ),
    "headlines": (
        "{team} Beat {team} to Reach Final",
        "{company} Profits Rise Sharply",
        "{per} Wins {cup}",
        "Floods Hit {region}",
        "{country} , {country} Sign Trade Deal",
        "{nat} Leader Visits {city}",
        "{per} , {per} Share Lead in {city}",
        "{country} {country} Talks Resume",
        "{team} {team} Match Postponed",
        "Markets Close Higher",
        "Storm Warning Issued for Coast",
        "{company} to Cut {num} Jobs",
        "{last} Named {team} Coach",
        "{last} {last} Title Fight Set for {month}",
        "{company} {company} Merger Talks Collapse",
        "{nat} {nat} Summit Ends Without Deal",
        "{city} Braces for Heavy Snow",
        "{nat} Shares End Week Lower",
    ),
    "caps": (
        "Soccer - {team} beat {team} {score} .",
        "Tennis - {per} reaches semifinal in {city} .",
        "{nat} stocks close lower .",
        "Golf - {per} leads {cup} by two strokes .",
        "Cricket - {team} v {team} scoreboard .",
        "Athletics - {last} wins in {city} .",
        "{company} says {month} sales up {pct} percent .",
        "Rugby - {team} {score} {team} .",
    ),
    "dateline": (
        "{city:upper} {date}",
        "{city:upper} , {country} {date}",
        "{city:upper} , {month} {daynum}",
    ),
    "fragments": (
        "{team} {score} {team}",
        "{per} ( {country} )",
        "{city} {date}",
        "Attendance : {bignum}",
        "Halftime : {score} .",
        "Thanks , {first} .",
        "Welcome to {city} !",
        "Source : {media}",
        "{nat} league results .",
        "{last} out , {last} in .",
        "Weather : sunny .",
        "More to follow .",
        "{team} v {team}",
        "{product} review",
        "Final : {team} {score}",
        "Photo : {per} / {media}",
    ),
    "plain": (
        "The match was postponed because of heavy rain .",
        "Prices rose by {pct} percent in {month} .",
        "On {day} , the committee will vote on the proposal .",
        "The President said the economy was growing faster than expected .",
        "Shares closed lower on {day} after a volatile session .",
        "Officials said {num} people had been evacuated from their homes .",
        "The Chief Executive declined to comment on the results .",
        "Temperatures are expected to fall sharply by the weekend .",
        "It was the team's worst defeat in {num} years .",
        "Police said the investigation was continuing .",
        "The Finance Minister will present the budget on {day} .",
        "No further details were available .",
        "The government denied the report on {day} .",
        "Inflation fell to {pct} percent in {month} from {pct} percent in {month} .",
        "Both teams had chances in the second half but neither could score .",
        "The judges will give their ruling in {month} .",
        "Turnout was lower than in {year} .",
        "Tickets go on sale next {day} .",
        "The Minister said the plan would be reviewed .",
        "Analysts said the market was likely to remain volatile until {month} .",
        "Doctors said the patient was in a stable condition .",
        "The Governor thanked volunteers for their work during the floods .",
    ),
}

GROUP_WEIGHTS: dict[str, float] = {
    "news": 15,
    "politics": 10,
    "business": 13,
    "sport": 18,
    "travel": 6,
    "facts": 5,
    "science": 6,
    "culture": 6,
    "quotes": 6,
    "lists": 4,
    "headlines": 4,
    "caps": 3,
    "dateline": 3,
    "fragments": 4,
    "plain": 13,
}

OPENERS = (
    "Meanwhile ,",
    "On {day} ,",
    "In {city} ,",
    "Separately ,",
    "Last {month} ,",
    "Late on {day} ,",
    "Earlier in {city} ,",
    "As expected ,",
)
"""Put before some extendable templates that start with an entity."""

GROUP_DOMAINS: dict[str, str] = {
    "news": "public",
    "politics": "public",
    "travel": "public",
    "science": "public",
    "culture": "public",
    "business": "business",
    "sport": "sport",
}
"""Groups that may get an opener and trailing phrases, and which phrase lists they use."""

ADJUNCTS: dict[str, tuple[str, ...]] = {
    "public": (
        "despite strong opposition",
        "amid growing concern about rising costs",
        "for the second year in a row",
        "despite opposition from the {party}",
        "after talks in {city}",
        "ahead of the {festival}",
        "following a meeting with {title} {per}",
        "during a visit to {country}",
    ),
    "business": (
        "despite strong opposition",
        "after months of negotiations",
        "amid growing concern about rising costs",
        "as part of a wider plan to expand in {region}",
        "despite opposition from the {party}",
        "ahead of talks with {company}",
        "following a meeting with {title} {per}",
        "during a visit to {country}",
    ),
    "sport": (
        "in front of {bignum} fans",
        "despite the heavy rain",
        "for the second year in a row",
        "in their last match before the {cup}",
        "in front of a sell-out crowd in {city}",
        "after a difficult start to the season",
        "despite an injury to captain {per}",
        "with {nat} scouts watching from the stands",
    ),
}
"""Trailing phrases without a comma, by domain."""

TIME_ADJUNCTS = (
    "on {day}",
    "in {month}",
    "last {month}",
    "late on {day}",
    "earlier this week",
    "on {day} evening",
)
"""Trailing time phrases; only used when the sentence has no day, month or year yet."""

NEWS_ATTRIBUTIONS = (
    ", officials said",
    ", although details remain unclear",
    ", sources close to the negotiations said",
    ", according to local media",
    ", a spokesman said",
    ", it said in a statement",
    ", the first time since {year}",
    ", according to the {agency}",
    ", the {media} reported",
    ", a spokesman for {company} said",
    ", {nat} media reported",
    ", {per} told reporters in {city}",
    ", a move criticised by {company} and the {agency}",
    ", a decision welcomed by {per} of the {party}",
    ", days after a similar incident in {city}",
    ", according to a report published by {univ}",
)
"""Trailing comma clauses shared by the public-affairs and business domains."""

ATTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "public": NEWS_ATTRIBUTIONS,
    "business": NEWS_ATTRIBUTIONS,
    "sport": (
        ", the club said",
        ", a club spokesman said",
        ", the {media} reported",
        ", {nat} media reported",
        ", {last} said",
        ", {team} said on its website",
        ", the first time since {year}",
        ", the league said",
    ),
}
"""Trailing comma clauses, by domain; at most one per sentence, always last."""

CLAUSE_COUNT_WEIGHTS = (40, 34, 19, 7)
"""Relative odds of adding 0, 1, 2 or 3 trailing phrases to an extendable sentence."""

TIME_KINDS = ("day", "month", "year", "date")
"""Slot kinds that already place a sentence in time."""

TIME_WORDS = (
    "week", "weekend", "month", "year", "season", "today", "yesterday", "tomorrow", "since",
    "anniversary", "winter", "summer", *DAYS, *MONTHS,
)  # fmt: skip
"""Literal words that already place a sentence in time."""

# ---------------------------------------------------------------------------------------------
# Template parsing and tokenisation.
# ---------------------------------------------------------------------------------------------

ENTITY_KINDS: dict[str, str] = {
    "per": "PER",
    "first": "PER",
    "last": "PER",
    "company": "ORG",
    "team": "ORG",
    "org": "ORG",
    "agency": "ORG",
    "party": "ORG",
    "media": "ORG",
    "univ": "ORG",
    "city": "LOC",
    "country": "LOC",
    "region": "LOC",
    "loc": "LOC",
    "nat": "MISC",
    "lang": "MISC",
    "cup": "MISC",
    "festival": "MISC",
    "award": "MISC",
    "product": "MISC",
    "treaty": "MISC",
    "misc": "MISC",
}
"""Entity slot kinds and the entity type they produce."""

FILLER_KINDS = (
    "title", "day", "month", "year", "date", "daynum", "num", "smallnum", "bignum", "score", "draw",
    "tennis", "ordinal", "minute", "money", "pct", "mag", "golf", "hours", "time", "age",
)  # fmt: skip
"""Non-entity slot kinds (tagged O)."""

_SLOT_RE = re.compile(r"\{([a-z]+)(?:#([a-z0-9]+))?(:upper)?\}")

_TOKEN_RE = re.compile(
    r"""
    (?:[A-Z]\.){2,}                      # abbreviations: U.S.
    | (?:Mr|Mrs|Ms|Dr|St|Jr|Inc|Ltd)\.   # abbreviated titles
    | \d{1,2}\.(?=\s)                    # list numbers: "1." (so write "in 1996 .")
    | \d+(?:[.,:/-]\d+)*                 # numbers, scores, dates: 3.5 2-1 1996-08-22
    | [A-Za-z]+(?=n't\b)                 # "do" of "don't"
    | n't | '(?:s|re|ve|ll|d|m)\b        # clitics
    | [A-Za-z]+(?:-[A-Za-z]+)*           # words and hyphenated compounds
    | \S                                 # any other character: punctuation
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[str]:
    """Split template text into Penn-Treebank-like tokens.

    Args:
        text: literal template text (no slots).

    Returns:
        The tokens; ``"Smith's car."`` gives ``["Smith", "'s", "car", "."]``.
    """
    return _TOKEN_RE.findall(text)


@dataclass(frozen=True)
class _Literal:
    """Fixed words of a template, tagged O."""

    tokens: tuple[str, ...]


@dataclass(frozen=True)
class _Slot:
    """A slot to fill: ``kind``, optional coreference ``label``, and capitalisation."""

    kind: str
    label: str | None = None
    upper: bool = False


_Part = _Literal | _Slot


@dataclass(frozen=True)
class _Template:
    """A parsed template."""

    group: str
    text: str
    parts: tuple[_Part, ...]

    @property
    def extendable(self) -> bool:
        """Whether openers and trailing phrases may be added (GROUP_DOMAINS, ends in .)."""
        last = self.parts[-1]
        return self.group in GROUP_DOMAINS and isinstance(last, _Literal) and last.tokens[-1] == "."

    @property
    def has_entity_slot(self) -> bool:
        """Whether any slot produces an entity."""
        return any(isinstance(p, _Slot) and p.kind in ENTITY_KINDS for p in self.parts)

    @property
    def is_timed(self) -> bool:
        """Whether a slot or a literal word already places the sentence in time."""
        return any(
            (isinstance(p, _Slot) and p.kind in TIME_KINDS)
            or (isinstance(p, _Literal) and any(t in TIME_WORDS for t in p.tokens))
            for p in self.parts
        )


def _parse(text: str, group: str = "") -> _Template:
    """Parse template text into literals and slots.

    Raises:
        ValueError: for an unknown slot kind or a malformed slot.
    """
    parts: list[_Part] = []
    pos = 0
    for match in _SLOT_RE.finditer(text):
        parts.extend(_literal(text[pos : match.start()]))
        kind, label, upper = match.groups()
        if kind not in ENTITY_KINDS and kind not in FILLER_KINDS:
            raise ValueError(f"unknown slot {{{kind}}} in template {text!r}")
        parts.append(_Slot(kind, label, upper is not None))
        pos = match.end()
    parts.extend(_literal(text[pos:]))
    leftover = _SLOT_RE.sub("", text)
    if "{" in leftover or "}" in leftover:
        raise ValueError(f"malformed slot in template {text!r}")
    return _Template(group, text, tuple(parts))


def _literal(text: str) -> list[_Literal]:
    tokens = tokenize(text)
    return [_Literal(tuple(tokens))] if tokens else []


# ---------------------------------------------------------------------------------------------
# Name pools.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pool:
    """A name list cut into the half used everywhere and the half kept out of train."""

    shared: tuple[str, ...]
    heldout: tuple[str, ...]


def _split_pool(items: Sequence[str]) -> _Pool:
    """Cut a list in two: positions 0 and 3 of every 4 are shared, 1 and 2 held out.

    The 0-3 / 1-2 pattern keeps neighbours (often similar names) on both sides.
    """
    shared = tuple(x for i, x in enumerate(items) if i % 4 in (0, 3))
    heldout = tuple(x for i, x in enumerate(items) if i % 4 in (1, 2))
    return _Pool(shared, heldout)


def _join_pools(*pools: _Pool) -> _Pool:
    return _Pool(
        tuple(x for p in pools for x in p.shared), tuple(x for p in pools for x in p.heldout)
    )


POOLS: dict[str, _Pool] = {
    "first": _split_pool(FIRST_NAMES),
    "last": _split_pool(SURNAMES),
    "country": _split_pool(COUNTRIES),
    "nat": _split_pool(NATIONALITIES),
    "lang": _split_pool(LANGUAGES),
    "town": _split_pool(TOWNS),
    "city": _join_pools(_split_pool(TOWNS), _split_pool(OTHER_CITIES)),
    "region": _split_pool(REGIONS),
    "company": _split_pool(COMPANIES),
    "agency": _split_pool(AGENCIES),
    "party": _split_pool(PARTIES),
    "media": _split_pool(MEDIA),
    "cup": _split_pool(SPORT_EVENTS),
    "festival": _split_pool(FESTIVALS),
    "award": _split_pool(AWARDS),
    "product": _split_pool(PRODUCTS),
    "treaty": _split_pool(TREATIES),
}


def _check_pools() -> None:
    """Check the name lists: no duplicates (so the halves are disjoint), no ambiguous words.

    Raises:
        ValueError: naming the offending word and list.
    """
    ambiguous = set(AMBIGUOUS)
    for name, pool in POOLS.items():
        entries = pool.shared + pool.heldout
        if len(set(entries)) != len(entries):
            raise ValueError(f"name list {name!r} has duplicates")
        for entry in entries:
            clash = ambiguous.intersection(entry.split())
            if clash:
                raise ValueError(f"ambiguous word {sorted(clash)} in name list {name!r}")
    for word, roles in AMBIGUOUS.items():
        unknown = [r for r in roles if r not in ROLE_SLOTS]
        if len(roles) < 2 or unknown:
            raise ValueError(f"ambiguous word {word!r} needs >= 2 known roles, got {roles}")


# ---------------------------------------------------------------------------------------------
# Sentence construction.
# ---------------------------------------------------------------------------------------------


@dataclass
class _Span:
    """Filled slot: its tokens, entity type (None for O) and, for people, name parts."""

    tokens: list[str]
    label: str | None
    first: list[str] | None = None
    last: list[str] | None = None


@dataclass
class _Context:
    """Per-sentence memory: named people (``{per#a}``) and entities already used."""

    people: dict[str, _Span] = field(default_factory=dict)
    used: list[tuple[str, ...]] = field(default_factory=list)


_Forced = tuple[str, str]
"""An ambiguous (word, role) that a slot must use."""


@dataclass(frozen=True)
class _Phrases:
    """Parsed openers and trailing phrases."""

    openers: tuple[_Template, ...]
    adjuncts: dict[str, tuple[_Template, ...]]
    times: tuple[_Template, ...]
    attributions: dict[str, tuple[_Template, ...]]

    @classmethod
    def parse(cls) -> _Phrases:
        """Parse ``OPENERS``, ``ADJUNCTS``, ``TIME_ADJUNCTS`` and ``ATTRIBUTIONS``."""
        return cls(
            openers=tuple(_parse(t) for t in OPENERS),
            adjuncts={d: tuple(_parse(t) for t in ts) for d, ts in ADJUNCTS.items()},
            times=tuple(_parse(t) for t in TIME_ADJUNCTS),
            attributions={d: tuple(_parse(t) for t in ts) for d, ts in ATTRIBUTIONS.items()},
        )


class _SentenceMaker:
    """Renders templates into tagged sentences for one split."""

    def __init__(self, rng: random.Random, heldout_rate: float, phrases: _Phrases) -> None:
        self.rng = rng
        self.heldout_rate = heldout_rate
        self.phrases = phrases
        self.entity_builders: dict[str, Callable[[_Forced | None], _Span]] = {
            "per": self._person,
            "first": self._first,
            "last": self._last,
            "company": self._company,
            "team": self._team,
            "org": self._org,
            "agency": self._agency,
            "party": lambda f: self._simple("party", "ORG"),
            "media": self._media,
            "univ": self._univ,
            "city": self._city,
            "country": self._country,
            "region": self._region,
            "loc": self._loc,
            "nat": lambda f: self._simple("nat", "MISC"),
            "lang": lambda f: self._simple("lang", "MISC"),
            "cup": self._cup,
            "festival": self._festival,
            "award": lambda f: self._simple("award", "MISC"),
            "product": lambda f: self._simple("product", "MISC"),
            "treaty": lambda f: self._simple("treaty", "MISC"),
            "misc": self._misc,
        }
        self.fillers: dict[str, Callable[[], list[str]]] = {
            "title": lambda: self.rng.choice(TITLES).split(),
            "day": lambda: [self.rng.choice(DAYS)],
            "month": lambda: [self.rng.choice(MONTHS)],
            "year": lambda: [str(self.rng.randint(1988, 2024))],
            "date": self._date,
            "daynum": lambda: [str(self.rng.randint(1, 28))],
            "num": self._num,
            "smallnum": lambda: [str(self.rng.randint(1, 9))],
            "bignum": lambda: [f"{self.rng.randint(2, 80)},{self.rng.randint(0, 9)}00"],
            "score": self._score,
            "draw": self._draw,
            "tennis": self._tennis,
            "ordinal": lambda: [_ordinal(self.rng.randint(2, 90))],
            "minute": lambda: [str(self.rng.randint(2, 90))],
            "money": self._money,
            "pct": lambda: [f"{self.rng.randint(0, 45)}.{self.rng.randint(1, 9)}"],
            "mag": lambda: [f"{self.rng.randint(4, 7)}.{self.rng.randint(0, 9)}"],
            "golf": lambda: [str(self.rng.randint(63, 70))],
            "hours": lambda: [str(self.rng.randint(2, 9))],
            "time": self._race_time,
            "age": lambda: [f"{self.rng.randint(24, 71)}-year-old"],
        }

    # --- entities ------------------------------------------------------------------------

    def _novel(self) -> bool:
        return self.heldout_rate > 0 and self.rng.random() < self.heldout_rate

    def _name(self, pool: str, novel: bool) -> list[str]:
        names = POOLS[pool].heldout if novel else POOLS[pool].shared
        return self.rng.choice(names).split()

    def _simple(self, pool: str, label: str) -> _Span:
        return _Span(self._name(pool, self._novel()), label)

    def _person(self, forced: _Forced | None) -> _Span:
        novel = self._novel()
        first = self._name("first", novel)
        last = self._name("last", novel)
        word, role = forced if forced else ("", "")
        if role == "PER_FIRST":
            first = [word]
        elif role == "PER_LAST":
            last = [word]
        r = self.rng.random()
        initial = self.rng.choice("ABCDEFGHJKLMNPRSTW") + "."
        if r < 0.10:
            tokens = [*first, initial, *last]
        elif r < 0.15 and role != "PER_FIRST":
            tokens = [initial, *last]
        else:
            tokens = first + last
        return _Span(tokens, "PER", first=first, last=last)

    def _first(self, forced: _Forced | None) -> _Span:
        return _Span([forced[0]] if forced else self._name("first", self._novel()), "PER")

    def _last(self, forced: _Forced | None) -> _Span:
        return _Span([forced[0]] if forced else self._name("last", self._novel()), "PER")

    def _company(self, forced: _Forced | None) -> _Span:
        if forced:
            return _Span([forced[0]], "ORG")
        novel = self._novel()
        if self.rng.random() < 0.15:
            tokens = [*self._name("town", novel), self.rng.choice(COMPANY_SUFFIXES)]
        else:
            tokens = self._name("company", novel)
        return _Span(tokens, "ORG")

    def _team(self, forced: _Forced | None) -> _Span:
        if forced:
            return _Span([forced[0]], "ORG")
        town = self._name("town", self._novel())
        r = self.rng.random()
        if r < 0.25:
            tokens = town
        elif r < 0.85:
            tokens = [*town, self.rng.choice(TEAM_SUFFIXES)]
        else:
            tokens = [self.rng.choice(TEAM_PREFIXES), *town]
        return _Span(tokens, "ORG")

    def _agency(self, forced: _Forced | None) -> _Span:
        novel = self._novel()
        r = self.rng.random()
        if r < 0.7:
            return _Span(self._name("agency", novel), "ORG")
        if r < 0.8:
            return _Span([*self._name("nat", novel), "Olympic", "Committee"], "ORG")
        if r < 0.9:
            return _Span(["Bank", "of", *self._name("country", novel)], "ORG")
        return _Span([*self._name("town", novel), "City", "Council"], "ORG")

    def _media(self, forced: _Forced | None) -> _Span:
        novel = self._novel()
        if self.rng.random() < 0.8:
            return _Span(self._name("media", novel), "ORG")
        paper = self.rng.choice((["Herald"], ["Gazette"], ["Evening", "Post"], ["Times"]))
        return _Span(self._name("town", novel) + paper, "ORG")

    def _univ(self, forced: _Forced | None) -> _Span:
        novel = self._novel()
        r = self.rng.random()
        if r < 0.35:
            return _Span(["University", "of", *self._name("city", novel)], "ORG")
        if r < 0.6:
            return _Span([*self._name("town", novel), "University"], "ORG")
        if r < 0.75:
            return _Span([*self._name("town", novel), "Institute", "of", "Technology"], "ORG")
        if r < 0.9:
            return _Span([*self._name("town", novel), "General", "Hospital"], "ORG")
        return _Span([*self._name("nat", novel), "Academy", "of", "Sciences"], "ORG")

    def _org(self, forced: _Forced | None) -> _Span:
        if forced:
            return _Span([forced[0]], "ORG")
        builder = self.rng.choices(
            (self._company, self._agency, self._univ, self._media), weights=(45, 30, 10, 15)
        )[0]
        return builder(None)

    def _city(self, forced: _Forced | None) -> _Span:
        return _Span([forced[0]] if forced else self._name("city", self._novel()), "LOC")

    def _country(self, forced: _Forced | None) -> _Span:
        return _Span([forced[0]] if forced else self._name("country", self._novel()), "LOC")

    def _region(self, forced: _Forced | None) -> _Span:
        return _Span([forced[0]] if forced else self._name("region", self._novel()), "LOC")

    def _loc(self, forced: _Forced | None) -> _Span:
        if forced:
            return _Span([forced[0]], "LOC")
        pool = self.rng.choices(("city", "country", "region"), weights=(5, 3, 2))[0]
        return _Span(self._name(pool, self._novel()), "LOC")

    def _cup(self, forced: _Forced | None) -> _Span:
        novel = self._novel()
        r = self.rng.random()
        if r < 0.7:
            return _Span(self._name("cup", novel), "MISC")
        if r < 0.8:
            return _Span([*self._name("country", novel), "Grand", "Prix"], "MISC")
        suffix = self.rng.choice((["Marathon"], ["Open"], ["Cup"]))
        return _Span(self._name("town", novel) + suffix, "MISC")

    def _festival(self, forced: _Forced | None) -> _Span:
        novel = self._novel()
        if self.rng.random() < 0.75:
            return _Span(self._name("festival", novel), "MISC")
        kind = self.rng.choice((["Film", "Festival"], ["Jazz", "Festival"], ["Book", "Fair"]))
        return _Span(self._name("town", novel) + kind, "MISC")

    def _misc(self, forced: _Forced | None) -> _Span:
        kind = self.rng.choice(("nat", "lang", "award", "product", "treaty"))
        return self._simple(kind, "MISC")

    # --- fillers --------------------------------------------------------------------------

    def _date(self) -> list[str]:
        year = self.rng.randint(1990, 2024)
        month = self.rng.randint(1, 12)
        day = self.rng.randint(1, 28)
        return [f"{year}-{month:02d}-{day:02d}"]

    def _race_time(self) -> list[str]:
        hours = self.rng.randint(2, 3)
        return [f"{hours}:{self.rng.randint(10, 59)}:{self.rng.randint(10, 59)}"]

    def _num(self) -> list[str]:
        if self.rng.random() < 0.15:
            return [f"{self.rng.randint(1, 9)},{self.rng.randint(100, 999)}"]
        return [str(self.rng.randint(2, 400))]

    def _money(self) -> list[str]:
        amount = f"{self.rng.randint(1, 950)}"
        if self.rng.random() < 0.4:
            amount += f".{self.rng.randint(1, 9)}"
        unit = self.rng.choice(("million", "billion"))
        if self.rng.random() < 0.5:
            return ["$", amount, unit]
        return [amount, unit, self.rng.choice(("euros", "dollars", "pounds"))]

    def _score(self) -> list[str]:
        """A winning score, winner first: 2-1, 3-0."""
        winner = self.rng.randint(1, 5)
        return [f"{winner}-{self.rng.randint(0, min(winner - 1, 3))}"]

    def _draw(self) -> list[str]:
        goals = self.rng.randint(0, 3)
        return [f"{goals}-{goals}"]

    def _tennis(self) -> list[str]:
        sets = []
        for _ in range(self.rng.choice((2, 2, 3))):
            a = self.rng.choice((6, 6, 6, 7))
            b = self.rng.randint(0, 4) if a == 6 else self.rng.choice((5, 6))
            sets.append(f"{a}-{b}")
        return sets

    # --- assembly ---------------------------------------------------------------------------

    def _fill(
        self,
        slot: _Slot,
        forced: _Forced | None,
        context: _Context,
    ) -> _Span:
        """Fill one slot; labelled person slots share one person per sentence."""
        if slot.kind in FILLER_KINDS:
            return _Span(self.fillers[slot.kind](), None)
        if slot.label is not None and slot.kind in ("per", "first", "last"):
            person = context.people.get(slot.label)
            if person is None:
                person_forced = forced if slot.kind == "per" else None
                person = self._fresh(lambda: self._person(person_forced), context, person_forced)
                context.people[slot.label] = person
            if slot.kind == "per":
                return _Span(list(person.tokens), "PER")
            part = person.first if slot.kind == "first" else person.last
            return _Span(list(part or []), "PER")
        return self._fresh(lambda: self.entity_builders[slot.kind](forced), context, forced)

    def _fresh(
        self, build: Callable[[], _Span], context: _Context, forced: _Forced | None
    ) -> _Span:
        """Build an entity not used before in the sentence (a few tries) and remember it."""
        span = build()
        for _ in range(5):
            if forced or tuple(span.tokens) not in context.used:
                break
            span = build()
        context.used.append(tuple(span.tokens))
        return span

    def render(
        self,
        parts: Sequence[_Part],
        words: list[str],
        tags: list[str],
        context: _Context,
        forced_at: int | None = None,
        forced: _Forced | None = None,
    ) -> None:
        """Append the words and tags of ``parts``; part ``forced_at`` gets ``forced``."""
        for index, part in enumerate(parts):
            if isinstance(part, _Literal):
                words.extend(part.tokens)
                tags.extend("O" for _ in part.tokens)
                continue
            span = self._fill(part, forced if index == forced_at else None, context)
            tokens = [t.upper() for t in span.tokens] if part.upper else span.tokens
            words.extend(tokens)
            if span.label is None:
                tags.extend("O" for _ in tokens)
            else:
                tags.extend(f"{'B' if i == 0 else 'I'}-{span.label}" for i in range(len(tokens)))

    def sentence(
        self,
        template: _Template,
        forced_at: int | None = None,
        forced: _Forced | None = None,
    ) -> Sentence:
        """Render a template, maybe with an opener and trailing phrases.

        Args:
            template: the template.
            forced_at: index of the part that must hold ``forced``.
            forced: an ambiguous (word, role) to place.

        Returns:
            The words and IOB2 tags.
        """
        rng = self.rng
        words: list[str] = []
        tags: list[str] = []
        context = _Context()
        timed = template.is_timed
        first = template.parts[0]
        if (
            template.extendable
            and isinstance(first, _Slot)
            and first.kind in ENTITY_KINDS
            and rng.random() < 0.15
        ):
            opener = rng.choice([o for o in self.phrases.openers if not (timed and o.is_timed)])
            timed = timed or opener.is_timed
            self.render(opener.parts, words, tags, context)
        self.render(template.parts, words, tags, context, forced_at, forced)
        if template.extendable:
            words.pop()
            tags.pop()
            for phrase in self._trailing(template, timed):
                phrase_words: list[str] = []
                phrase_tags: list[str] = []
                self.render(phrase.parts, phrase_words, phrase_tags, context)
                if len(words) + len(phrase_words) + 1 > MAX_TOKENS:
                    break
                words.extend(phrase_words)
                tags.extend(phrase_tags)
            words.append(".")
            tags.append("O")
        if template.group in CAPS_GROUPS:
            words = [w.upper() for w in words]
        return words, tags

    def _trailing(self, template: _Template, timed: bool) -> list[_Template]:
        """Choose trailing phrases: adjuncts, then a time phrase, then one attribution."""
        rng = self.rng
        domain = GROUP_DOMAINS[template.group]
        options: dict[str, Sequence[_Template]] = {
            "adjunct": self.phrases.adjuncts[domain],
            "time": self.phrases.times,
            "attribution": self.phrases.attributions[domain],
        }
        if not template.has_entity_slot:  # keep entity-free sentences entity-free
            options = {k: [p for p in v if not p.has_entity_slot] for k, v in options.items()}
        count = rng.choices(range(len(CLAUSE_COUNT_WEIGHTS)), CLAUSE_COUNT_WEIGHTS)[0]
        kinds: list[str] = []
        for _ in range(count):
            allowed = ["adjunct"]
            if not timed and "time" not in kinds:
                allowed.append("time")
            if "attribution" not in kinds:
                allowed.append("attribution")
            kinds.append(rng.choice(allowed))
        order = ("adjunct", "time", "attribution")
        chosen: list[_Template] = []
        for kind in sorted(kinds, key=order.index):
            phrase = rng.choice(options[kind])
            if phrase not in chosen:
                chosen.append(phrase)
        return chosen


def _ordinal(n: int) -> str:
    """Return ``n`` as an English ordinal: 1st, 2nd, 3rd, 4th, 11th, 22nd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------------------------


def _parsed_templates() -> list[_Template]:
    return [_parse(text, group) for group, texts in TEMPLATES.items() for text in texts]


def _placements(templates: Sequence[_Template], role: str) -> list[tuple[_Template, list[int]]]:
    """Templates (outside ALL-CAPS groups) with slots that can hold a word of ``role``."""
    result = []
    for template in templates:
        if template.group in CAPS_GROUPS:
            continue
        slots = [
            i
            for i, part in enumerate(template.parts)
            if isinstance(part, _Slot)
            and not part.upper
            and part.kind in ROLE_SLOTS[role]
            and (part.label is None or part.kind == "per")
        ]
        if slots:
            result.append((template, slots))
    return result


def generate(seed: int = DEFAULT_SEED) -> dict[str, list[Sentence]]:
    """Generate the corpus.

    Args:
        seed: base seed; each split uses its own ``random.Random`` derived from it.

    Returns:
        Split name (``train``, ``validation``, ``test``) -> list of (words, IOB2 tags).
    """
    _check_pools()
    templates = _parsed_templates()
    by_group: dict[str, list[_Template]] = {group: [] for group in TEMPLATES}
    for template in templates:
        by_group[template.group].append(template)
    groups = list(GROUP_WEIGHTS)
    weights = [GROUP_WEIGHTS[g] for g in groups]
    phrases = _Phrases.parse()
    placements = {role: _placements(templates, role) for role in ROLE_SLOTS}

    corpus: dict[str, list[Sentence]] = {}
    for split_index, (split, size) in enumerate(SPLIT_SIZES.items()):
        rng = random.Random(seed * 10 + split_index)
        maker = _SentenceMaker(rng, 0.0 if split == "train" else HELDOUT_RATE, phrases)
        jobs: list[_Forced | None] = [
            (word, role)
            for word, roles in AMBIGUOUS.items()
            for role in roles
            for _ in range(AMBIGUOUS_REPEATS[split])
        ]
        if len(jobs) > size:
            raise ValueError(f"{split}: {len(jobs)} ambiguous placements exceed {size} sentences")
        jobs += [None] * (size - len(jobs))
        rng.shuffle(jobs)
        sentences: list[Sentence] = []
        for job in jobs:
            if job is None:
                group = rng.choices(groups, weights)[0]
                template = rng.choice(by_group[group])
                sentence = maker.sentence(template)
            else:
                template, slots = rng.choice(placements[job[1]])
                sentence = maker.sentence(template, rng.choice(slots), job)
            sentences.append(sentence)
        corpus[split] = sentences
    return corpus


def write_conll(sentences: Iterable[Sentence], path: str | Path) -> None:
    """Write sentences as 2-column CoNLL: ``word TAG`` lines, a blank line after each sentence.

    Args:
        sentences: (words, tags) pairs of equal length.
        path: the output file (ASCII, LF line endings).

    Raises:
        ValueError: for a length mismatch, an empty sentence, or a word with whitespace or
            non-ASCII characters.
    """
    lines: list[str] = []
    for words, tags in sentences:
        if len(words) != len(tags) or not words:
            raise ValueError(f"bad sentence: {words!r} / {tags!r}")
        for word, tag in zip(words, tags, strict=True):
            if not word or any(c.isspace() for c in word) or not word.isascii():
                raise ValueError(f"bad word {word!r} in {' '.join(words)!r}")
            lines.append(f"{word} {tag}\n")
        lines.append("\n")
    Path(path).write_text("".join(lines), encoding="ascii", newline="\n")


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point: write ``train``, ``validation`` and ``test`` ``.conll`` files.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description="Write the built-in NER corpus (CoNLL).")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "ner",
        help="output directory (default: the 'ner' folder next to this module)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, sentences in generate(args.seed).items():
        path = args.out / f"{split}.conll"
        write_conll(sentences, path)
        print(f"{path}: {len(sentences)} sentences, {sum(len(w) for w, _ in sentences)} tokens")


if __name__ == "__main__":
    main()
