"""Generator for the built-in English news summarization corpus (source -> headline, JSONL).

Every record of ``textenvs/data/builtin/summarization/*.jsonl`` is produced by this module from
the hand-written event templates and hand-written name lists below; nothing is copied from a
public dataset. The people, towns, companies, teams, prizes and works are invented or are
ordinary first names and surnames.

Design:
    * Records: one JSON object per line, ``{"source": ..., "reference": ...}``. The source is a
      short news story of 2 to 6 sentences (30 to 130 words); the reference is a headline of 5
      to 16 words.
    * Events: each entry of ``EVENTS`` (48 of them, six for each of business, sport, politics,
      science, weather, culture, crime and courts, and transport) holds alternative wordings of
      its key-fact sentence, matching headlines, scene-setting openers and detail sentences
      (quotes, context, reactions, next steps). One draw of slot values (people, places,
      numbers) fills every sentence and the headline of a story, so the headline shares names,
      the event and numbers with the story while paraphrasing it (present tense, headline
      wording, other word order).
    * Key-fact position: the key sentence comes first in about 60% of the stories, second
      (after a scene-setting opener or a dateline-like lead) in about a quarter and third (after
      a dateline-like lead and an opener) in the rest (``KEY_POSITION_WEIGHTS``), so that taking
      the first sentence (lead-1) is a decent baseline but choosing the right sentence is
      clearly better. Detail sentences and topic-wide background
      sentences follow the key sentence.
    * Sentence splitting: every sentence ends with ``.`` and starts with a capital letter, a
      digit or a double quote; quotes end inside the sentence (``"...," Smith said.``) and no
      abbreviation carries a period, so splitting after ``.`` followed by a space is exact.
    * Held-out names: every name list is cut into a *shared* and a *held-out* half. The train
      split draws names from the shared half only; validation and test draw each name from the
      held-out half with probability ``HELDOUT_RATE`` and from the shared half otherwise.
    * Uniqueness: no source occurs twice within or across splits (a repeated draw is redrawn).
    * Determinism: all randomness comes from ``random.Random`` objects seeded from the ``seed``
      argument, and only lists and tuples are iterated, so the files are byte-identical on
      every run.

With the shipped seed, on the test split (ROUGE F-measure, stemmed), the first sentence (lead-1)
scores about 0.32 ROUGE-1 / 0.13 ROUGE-2 against the reference, the best single sentence
(oracle-1) about 0.45 / 0.20 and the whole source about 0.21 / 0.09.

Template syntax: ``str.format`` fields naming a slot of ``_Story.slots`` (``{per}``,
``{last}``, ``{company}``, ``{pct}``, ...); ``{per}``/``{last}`` and ``{per2}``/``{last2}`` are
the full name and surname of the story's first and second person.

Regenerate the shipped files (from the repository root)::

    python -m textenvs.data.builtin.make_summarization_corpus

``--out DIR`` writes the three files elsewhere; ``--seed N`` changes the seed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED = 20240612
"""Seed of the shipped files."""

SPLIT_SIZES: dict[str, int] = {"train": 500, "validation": 100, "test": 100}
"""Number of records per split, in the order the splits are generated."""

HELDOUT_RATE = 0.4
"""Probability that a validation/test name is drawn from the held-out half of its list."""

KEY_POSITION_WEIGHTS = (60, 27, 13)
"""Relative weights of the key sentence being the first, second or third sentence."""

DETAIL_COUNTS = (1, 2, 2, 3, 3, 4)
"""Number of event detail sentences after the key sentence (drawn uniformly)."""

BACKGROUND_RATE = 0.3
"""Probability of closing a story with a topic-wide background sentence."""

MIN_SENTENCES, MAX_SENTENCES = 2, 6
MIN_SOURCE_WORDS, MAX_SOURCE_WORDS = 30, 130
MIN_REFERENCE_WORDS, MAX_REFERENCE_WORDS = 5, 16

MAX_TRIES = 50
"""Draws per record before giving up on the length limits and uniqueness."""

Record = dict[str, str]
"""A record: ``{"source": ..., "reference": ...}``."""

# ---------------------------------------------------------------------------------------------
# Name lists. Each list is split into a shared and a held-out half by ``_split_pool``.
# No entry may contain a period (checked by ``_check_data``).
# ---------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "James", "Maria", "David", "Anna", "Michael", "Elena", "Thomas", "Sofia", "Daniel", "Laura",
    "Peter", "Sarah", "Robert", "Julia", "Mark", "Helen", "Paul", "Emma", "Andrew", "Nina",
    "Richard", "Clara", "Stefan", "Ingrid", "Pierre", "Amelie", "Carlos", "Lucia", "Ahmed",
    "Fatima", "Kenji", "Yuki", "Wei", "Mei", "Raj", "Priya", "Olusegun", "Amara", "Ivan", "Olga",
    "Lars", "Astrid", "Pavel", "Marta", "Diego", "Carmen", "Hans", "Greta", "Luca", "Giulia",
    "Tomas", "Eva", "Samuel", "Ruth", "Omar", "Leila", "Kwame", "Ama", "Sean", "Siobhan",
    "Henrik", "Freya", "Mateo", "Valentina", "Arjun", "Ananya", "Hiroshi", "Aiko",
)  # fmt: skip

SURNAMES = (
    "Ellis", "Brooks", "Carter", "Reed", "Hughes", "Turner", "Walsh", "Murphy", "O'Neill",
    "Kowalski", "Novak", "Horvat", "Petrov", "Schmidt", "Weber", "Fischer", "Becker", "Dubois",
    "Moreau", "Laurent", "Rossi", "Bianchi", "Romano", "Garcia", "Fernandez", "Lopez", "Silva",
    "Santos", "Costa", "Tanaka", "Sato", "Nakamura", "Chen", "Wang", "Liu", "Kim", "Park",
    "Singh", "Patel", "Okafor", "Mensah", "Adeyemi", "Mwangi", "Haddad", "Cohen", "Jensen",
    "Nielsen", "Larsen", "Lindqvist", "Virtanen", "Nowak", "Dvorak", "Kovacs", "Popescu",
    "Georgiou", "Yilmaz", "Fitzgerald", "Harper", "Whitaker", "Castellano", "Okonkwo",
    "Delacroix", "Rahman", "Mercer", "Sutherland", "Blackwood", "Ashford", "Thornton",
)  # fmt: skip

TOWNS = (
    "Eastfield", "Westbrook", "Ashby", "Kingsmoor", "Dunhaven", "Millbrook", "Rivermouth",
    "Saltmarsh", "Thornbury", "Bramwell", "Oakridge", "Fairhaven", "Glenmore", "Redcliff",
    "Stonebridge", "Brightwell", "Northam", "Castelverde", "Bergholm", "Nordby", "Havnstad",
    "Ostberg", "Lindenfeld", "Marbury", "Ravensby", "Elmstead", "Hollowell", "Kessington",
    "Dunmore", "Greywater", "Linford", "Pembury", "Sandmoor", "Tillbrook", "Wexham", "Carrow",
    "Auderne", "Montclair", "Valmont", "Halloway", "Larchmont", "Copperton", "Brookhaven",
    "Whitmore", "Ferndale", "Ambleside", "Corbridge", "Harwick",
)  # fmt: skip
"""Single-word invented towns; also used for teams, marathons, bridges and universities."""

REGIONS = (
    "Greenwater Province", "Fenmark", "Lower Aldwin", "Westmarch", "Corran Island",
    "North Valley", "Lake Orla", "Tamsin Valley", "Highmoor", "Sarnland", "Upper Marrow",
    "Amber Coast", "Eastern Hills", "Kessel Plain", "Southmoor", "Redwater Basin",
    "Brannock Hills", "Ellery Coast", "Morwen Valley", "Norhaven", "Silverdale",
    "Cardew Heights", "West Lannock", "Orrin Forest",
)  # fmt: skip
"""Invented provinces and landscapes that read naturally without an article."""

COMPANIES = (
    "Bluecrest", "Altavia", "Quorra", "Greyline", "Solenne", "Brightwater Group", "Kestrel",
    "Vantor Group", "Orion Holdings", "Tessaract", "Halden", "Marlowe and Finch", "Corvid",
    "Pinnacle Group", "Ashgrove", "Lumen", "Cobalt Group", "Northstar", "Everly", "Driftwood",
    "Ironbridge", "Mosaic", "Westmark", "Polaris Group", "Verdant", "Tidewater", "Skyreach",
    "Obsidian", "Copperleaf", "Falconer", "Veltro", "Omnira", "Zephyra", "Kalimex", "Trevani",
    "Aquilon", "Nordvik", "Sarrazin", "Hexley", "Daventa", "Larkspur Group", "Juniper",
    "Quillon", "Merrow Holdings",
)  # fmt: skip
"""Invented companies with names that fit any sector (retail, energy, water, drugs, ...)."""

TEAM_SUFFIXES = (
    "Rovers", "United", "Athletic", "Wanderers", "Rangers", "Albion", "City", "Town", "Harriers",
    "Olympic",
)  # fmt: skip
"""Generic words for "<town> <suffix>" teams; shared by all splits."""

PARTIES = (
    "Progressive Union", "National Renewal Party", "Green Alliance", "Liberal Front",
    "Social Democratic Union", "Workers Party", "Farmers League", "New Dawn Movement",
    "Reform Coalition", "Centre Party", "Civic Renewal", "Unity Party",
)  # fmt: skip

CUPS = (
    "Continental Cup", "Silver Cup", "Nations Trophy", "Federation Shield", "League Cup",
    "Coastal Trophy", "Northern Cup", "Harbor Shield", "Golden Cup", "Founders Trophy",
    "Champions Shield", "Valley Cup",
)  # fmt: skip

FESTIVALS = (
    "Northern Lights Festival", "Summer Arts Fair", "Autumn Book Fair", "Coastal Jazz Week",
    "Spring Film Festival", "Midsummer Music Festival", "Lantern Festival", "Winter Carnival",
    "Harbor Film Festival", "Open Doors Week", "Valley Folk Festival", "Riverside Arts Week",
)  # fmt: skip
"""Festivals, each at least two words long."""

AWARDS = (
    "Golden Quill Award", "Silver Compass Prize", "Meridian Medal", "Hartwell Prize",
    "Blue Heron Award", "Laurel Medal", "Beacon Award", "Ironwood Prize",
    "Harbor Prize for Fiction", "Evergreen Award", "Kessel Medal", "Aldous Prize",
)  # fmt: skip

WORKS = (
    "The Salt Road", "Winter Orchard", "A House by the Water", "The Last Ferry",
    "Paper Lanterns", "The Long Harvest", "Blue Hour", "The Glass Garden", "Northern Light",
    "The Quiet Harbour", "Small Mercies", "The Weight of Rain", "Songs for Leaving",
    "The Iron Bell", "Silver Fields", "The Lighthouse Keeper", "A Year of Birds",
    "The Orchard Wall", "Distant Shore", "The Night Market", "Stone and Feather",
    "The Map Maker", "Open Water", "Late Summer",
)  # fmt: skip
"""Titles of invented novels, films, albums and paintings."""

AIRLINES = (
    "Redfern Airways", "Skylark Air", "Norland Air", "Bluewing", "Coastal Airlines",
    "Aerowest", "Silverjet", "Polar Air", "Harbor Airways", "Swiftline",
)  # fmt: skip

RAIL_OPERATORS = (
    "Northern Rail", "Silverline Rail", "Coastal Trains", "Valley Railways", "Westline Rail",
    "Eastern Railways", "Greenway Trains", "Central Rail", "Highland Rail", "Riverside Trains",
)  # fmt: skip
"""Rail operators, each at least two words long."""

PROBES = (
    "Aurora", "Pathfinder", "Halcyon", "Vega", "Meridian", "Corvus", "Lyra", "Tethys",
    "Serafina", "Orison",
)  # fmt: skip

CREATURES = (
    "frog", "beetle", "lizard", "bat", "spider", "moth", "snail", "salamander", "gecko",
    "dragonfly", "butterfly", "tree frog",
)  # fmt: skip

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
SMALL_NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine")

# ---------------------------------------------------------------------------------------------
# Events. ``facts``: the key sentence; ``headlines``: the reference; ``openers``: scene-setting
# sentences before the key sentence; ``details``: sentences after it. All are alternatives
# filled with the same slot values.
# ---------------------------------------------------------------------------------------------

TOPICS = (
    "business", "sport", "politics", "science", "weather", "culture", "crime", "transport",
)  # fmt: skip


@dataclass(frozen=True)
class _Event:
    """One kind of news event, with alternative wordings of each part of its story."""

    topic: str
    name: str
    facts: tuple[str, ...]
    headlines: tuple[str, ...]
    openers: tuple[str, ...]
    details: tuple[str, ...]

    def templates(self) -> tuple[str, ...]:
        """Return all sentence templates (not headlines) of the event."""
        return self.facts + self.openers + self.details


EVENTS: tuple[_Event, ...] = (
    # --- business ---------------------------------------------------------------------------
    _Event(
        "business",
        "earnings beat",
        facts=(
            "Shares of {company} rose {pct}% on {day} after the company reported quarterly "
            "profit well above analysts' forecasts.",
            "{company} shares jumped {pct}% on {day} when the company posted quarterly earnings "
            "that beat market expectations.",
        ),
        headlines=(
            "{company} shares rise {pct}% after strong quarterly profit",
            "Strong quarter lifts {company} shares by {pct}%",
            "{company} stock jumps as profit beats forecasts",
        ),
        openers=("Traders had been nervous ahead of the results, after two weak quarters.",),
        details=(
            "Sales grew in every region, helped by strong demand for the group's newer products.",
            '"This was one of the best quarters in our history," chief executive {per} told '
            "analysts.",
            "{per2}, an analyst at {company2}, said the figures showed that the turnaround plan "
            "was working.",
            "The company also raised its forecast for the full year and said it would hire "
            "{jobs} more staff.",
            "The rise made {company} one of the best performers on the exchange this year.",
        ),
    ),
    _Event(
        "business",
        "takeover",
        facts=(
            "{company} agreed on {day} to buy its rival {company2} for {money}, creating one of "
            "the largest groups in the sector.",
            "{company} said on {day} it would take over {company2} in a deal worth {money}.",
        ),
        headlines=(
            "{company} to buy {company2} in {money} deal",
            "{company} agrees {money} takeover of rival {company2}",
            "{company2} sold to {company} for {money}",
        ),
        openers=("Rumours of a deal had circulated in the industry for months.",),
        details=(
            "The deal still needs the approval of regulators and of {company2} shareholders.",
            '"Together we will be stronger and faster," said {per}, chief executive of {company}.',
            "Shares of {company2} rose {pct}% on the news, while {company} shares slipped.",
            "The combined group will keep its headquarters in {town}, the companies said.",
            "Talks between the two sides had been going on since {month}, according to people "
            "close to the matter.",
        ),
    ),
    _Event(
        "business",
        "factory closure",
        facts=(
            "{company} will close its factory in {town} with the loss of {jobs} jobs, the "
            "company said on {day}.",
            "{company} announced on {day} that it would shut its {town} plant, putting {jobs} "
            "jobs at risk.",
        ),
        headlines=(
            "{company} to shut {town} factory, cutting {jobs} jobs",
            "{jobs} jobs to go as {company} closes {town} plant",
            "{town} loses {jobs} jobs with {company} factory closure",
        ),
        openers=(
            "For more than forty years, the factory gates have opened at six every morning.",
            "Workers arrived for the early shift without any idea of what was coming.",
        ),
        details=(
            "The company blamed falling demand and rising energy costs for the decision.",
            '"This is a devastating day for the town," said {per}, the leader of the local '
            "council.",
            "Unions said they would fight the closure and called for urgent talks with management.",
            "The plant is one of the largest employers in {region}.",
            "Production will move to other sites by the end of next year, {company} said.",
        ),
    ),
    _Event(
        "business",
        "profit warning",
        facts=(
            "{company} cut its profit forecast for the year on {day}, warning that weak "
            "consumer spending had hurt sales.",
            "{company} lowered its full-year profit outlook on {day}, saying shoppers were "
            "spending less than expected.",
        ),
        headlines=(
            "{company} cuts profit forecast as sales weaken",
            "Weak spending forces {company} to lower profit outlook",
            "{company} issues profit warning as shoppers cut back",
        ),
        openers=("Shoppers have been cutting back on spending for much of the year.",),
        details=(
            "Shares in the company fell {pct}% by the close of trading.",
            "Chief executive {per} said the group would cut costs and delay some investments.",
            "{per2}, who follows the retail sector at {company2}, called the warning worse than "
            "expected.",
            "It is the second time this year that {company} has lowered its outlook.",
        ),
    ),
    _Event(
        "business",
        "interest rate rise",
        facts=(
            "The central bank raised its main interest rate by a quarter of a point to {rate}% "
            "on {day}.",
            "The central bank lifted borrowing costs on {day}, taking its benchmark interest "
            "rate to {rate}%.",
        ),
        headlines=(
            "Central bank raises interest rate to {rate}%",
            "Interest rates rise to {rate}% as inflation persists",
            "Borrowing costs climb as central bank lifts rate to {rate}%",
        ),
        openers=("Prices in the shops have risen steadily since the start of the year.",),
        details=(
            "Governor {per} said inflation was still too high and further rises could not be "
            "ruled out.",
            "Consumer prices rose {pct}% in the year to {month}, well above the bank's target.",
            "Most economists had expected the move, according to a survey by {company2}.",
            "Mortgage lenders said they would pass on the higher rate to borrowers within weeks.",
        ),
    ),
    _Event(
        "business",
        "start-up funding",
        facts=(
            "Delivery start-up {company} has raised {fee} from investors to expand across "
            "{region}, it said on {day}.",
            "{company}, a delivery start-up, said on {day} it had raised {fee} to fund its "
            "expansion across {region}.",
        ),
        headlines=(
            "{company} raises {fee} to expand across {region}",
            "Investors put {fee} into delivery start-up {company}",
            "Start-up {company} secures {fee} for growth in {region}",
        ),
        openers=("Only three years ago, the business was run from a spare room in {town}.",),
        details=(
            "The company was founded in {town} by {per} and two friends from university.",
            '"We want to be in every major town within two years," {last} said.',
            "The funding round was led by {company2}.",
            "The firm now employs {jobs} people and says it is close to making a profit.",
        ),
    ),
    # --- sport ------------------------------------------------------------------------------
    _Event(
        "sport",
        "league win",
        facts=(
            "{team} beat {team2} {score} on {day} to move to the top of the league.",
            "{team} went top of the league on {day} with a {score} win over {team2}.",
        ),
        headlines=(
            "{team} beat {team2} {score} to go top",
            "{team} top the league after {score} win over {team2}",
            "Win over {team2} sends {team} to the top",
        ),
        openers=("Rain fell steadily as the two sides walked out in front of a nervous crowd.",),
        details=(
            "{per} scored twice in the second half, including a late header.",
            '"The players showed real character today," said {team} coach {per2}.',
            "{team2} had not lost at home since {month}.",
            "A crowd of {crowd} watched the match.",
            "The defeat leaves {team2} {small} points behind the leaders.",
        ),
    ),
    _Event(
        "sport",
        "cup final",
        facts=(
            "{team} won the {cup} on {day}, beating {team2} {score} in the final.",
            "{team} lifted the {cup} on {day} after a {score} victory over {team2} in the final.",
        ),
        headlines=(
            "{team} beat {team2} to win the {cup}",
            "{team} lift {cup} with {score} final win",
            "{cup} goes to {team} after victory over {team2}",
        ),
        openers=("Supporters had been queuing outside the stadium since early morning.",),
        details=(
            "It is the club's first major trophy in {small} years.",
            "Captain {per} scored the decisive goal midway through the second half.",
            '"I have dreamed of this moment since I was a child," {last} said.',
            "Thousands of fans are expected to line the streets for a parade later this week.",
            "{team2} had beaten the holders in the semi-final.",
        ),
    ),
    _Event(
        "sport",
        "national record",
        facts=(
            "{per} set a national record in the 400 metres on {day}, winning the race in "
            "{seconds} seconds.",
            "Sprinter {per} broke the national 400 metres record on {day} with a time of "
            "{seconds} seconds.",
        ),
        headlines=(
            "{last} sets national 400 metres record",
            "{per} breaks 400 metres record in {seconds} seconds",
            "Record run of {seconds} seconds for sprinter {last}",
        ),
        openers=("The stadium was almost silent as the runners settled into their blocks.",),
        details=(
            "The {age}-year-old beat a mark that had stood for {small} years.",
            '"I knew I was in good shape, but this is a dream," {last} said.',
            "{per2} finished second, almost a second behind the winner.",
            "The race was part of a meeting in {town} that drew {crowd} spectators.",
            "{last} will now be among the favourites at the world championships in {month}.",
        ),
    ),
    _Event(
        "sport",
        "coach sacked",
        facts=(
            "{team} sacked coach {per} on {day} after a run of {small} defeats left the club "
            "near the bottom of the table.",
            "{team} dismissed coach {per} on {day} following {small} straight league defeats.",
        ),
        headlines=(
            "{team} sack coach {last} after {small} defeats",
            "Coach {per} fired as {team} slump continues",
            "{team} part ways with coach {last}",
        ),
        openers=("Fans had been calling for change for several weeks.",),
        details=(
            "{last} had been in charge for less than two seasons.",
            "Assistant coach {per2} will take charge for the next match against {team2}.",
            '"We thank {last} for the hard work, but results have not been good enough," the '
            "club said.",
            "The club has won only one of its last ten games.",
        ),
    ),
    _Event(
        "sport",
        "transfer",
        facts=(
            "Striker {per} has joined {team} from {team2} for a fee of {fee}, the clubs said "
            "on {day}.",
            "{team} have signed striker {per} from {team2} for {fee}, the club said on {day}.",
        ),
        headlines=(
            "{team} sign striker {per} for {fee}",
            "{last} joins {team} in {fee} move",
            "{team} land {team2} striker {last}",
        ),
        openers=("The transfer window had been quiet until the final week.",),
        details=(
            "The {age}-year-old scored {goals} goals for {team2} last season.",
            "{last} has signed a contract that runs for four years.",
            '"This is a club with big ambitions, and I want to win trophies here," {last} said.',
            "{team} coach {per2} said the new signing would add pace to the attack.",
        ),
    ),
    _Event(
        "sport",
        "marathon",
        facts=(
            "{per} won the {town} Marathon on {day} in {racetime}, the fastest time ever run on "
            "the course.",
            "{per} set a course record to win the {town} Marathon on {day}, finishing in "
            "{racetime}.",
        ),
        headlines=(
            "{last} wins {town} Marathon in course record",
            "Course record for {per} at {town} Marathon",
            "{per} takes {town} Marathon in {racetime}",
        ),
        openers=("Conditions were cool and calm when the runners set off early in the morning.",),
        details=(
            "{per2} was second, more than a minute behind.",
            "About {crowd} runners took part in the race this year.",
            '"The crowd carried me through the last ten kilometres," {last} said.',
            "The previous record had stood for {small} years.",
        ),
    ),
    # --- politics ---------------------------------------------------------------------------
    _Event(
        "politics",
        "mayor elected",
        facts=(
            "{per} of the {party} was elected mayor of {town} on {day}, winning {vote}% of the "
            "vote.",
            "Voters in {town} chose {per} of the {party} as their new mayor on {day}, with "
            "{vote}% of the vote.",
        ),
        headlines=(
            "{party} candidate {last} elected mayor of {town}",
            "{per} wins {town} mayoral race with {vote}% of vote",
            "{town} elects {last} as new mayor",
        ),
        openers=("Polling stations across the town stayed busy until late in the evening.",),
        details=(
            "Turnout was {turnout}%, the highest in more than a decade.",
            '"Tonight the people of {town} have voted for change," {last} told supporters.',
            "{per2}, the sitting mayor, conceded defeat shortly after midnight.",
            "{last} has promised to build more affordable homes and improve public transport.",
        ),
    ),
    _Event(
        "politics",
        "minister resigns",
        facts=(
            "Transport minister {per} resigned on {day}, days after a report criticised the "
            "handling of a {money} rail contract.",
            "{per} quit as transport minister on {day} following criticism of how a {money} "
            "rail contract was awarded.",
        ),
        headlines=(
            "Transport minister {last} resigns over rail contract",
            "Minister {per} quits after {money} contract criticism",
            "{last} steps down amid rail contract row",
        ),
        openers=("Pressure had been building on the government for several days.",),
        details=(
            "The report found that rules had not been followed when the contract was awarded "
            "to {company}.",
            '"I take full responsibility for the mistakes that were made," {last} said in a '
            "letter.",
            "{per2} will take over the post with immediate effect.",
            "Opposition parties have called for a full public inquiry.",
        ),
    ),
    _Event(
        "politics",
        "minimum wage",
        facts=(
            "Parliament voted on {day} to raise the minimum wage by {pct}% from {month}.",
            "Lawmakers approved a {pct}% increase in the minimum wage on {day}, to take effect "
            "in {month}.",
        ),
        headlines=(
            "Parliament votes to raise minimum wage by {pct}%",
            "Minimum wage to rise {pct}% from {month}",
            "Lawmakers approve {pct}% minimum wage increase",
        ),
        openers=("Workers' groups had campaigned on the issue for years.",),
        details=(
            "The law passed by {seats} votes to {seats2}.",
            "Labour minister {per} said the rise would help about {custom} workers.",
            "Business groups warned that some small firms could be forced to cut jobs.",
            '"Nobody who works full time should live in poverty," {last} told parliament.',
        ),
    ),
    _Event(
        "politics",
        "budget",
        facts=(
            "Finance minister {per} presented a budget on {day} that includes {money} in new "
            "spending on hospitals and schools.",
            "The budget unveiled on {day} by finance minister {per} adds {money} for hospitals "
            "and schools.",
        ),
        headlines=(
            "Budget adds {money} for hospitals and schools",
            "{last} budget boosts spending on hospitals and schools",
            "Government pledges {money} for health and education",
        ),
        openers=("Few people expected surprises from this year's budget.",),
        details=(
            "The plan will be paid for partly by a higher tax on large companies.",
            "{per2}, the opposition's finance spokesperson, said the figures did not add up.",
            '"This is a budget for families," {last} told parliament.',
            "Parliament is expected to vote on the budget in {month}.",
        ),
    ),
    _Event(
        "politics",
        "hospital protest",
        facts=(
            "Thousands of people marched through {town} on {day} in protest against plans to "
            "close the local hospital.",
            "About {crowd} people joined a march in {town} on {day} to oppose the closure of "
            "the town's hospital.",
        ),
        headlines=(
            "Thousands march in {town} against hospital closure",
            "{town} residents protest plan to shut hospital",
            "March in {town} opposes hospital closure plan",
        ),
        openers=("Shops in the town centre closed early as the crowds began to gather.",),
        details=(
            "Health officials want to move most services to a larger hospital in {town2}.",
            '"People could die on the long drive to {town2}," said {per}, a nurse who helped '
            "organise the march.",
            "Police said the protest was peaceful.",
            "A final decision on the future of the hospital is due in {month}.",
        ),
    ),
    _Event(
        "politics",
        "housing plan",
        facts=(
            "{town} council approved plans on {day} to build {homes} new homes on farmland "
            "north of the town.",
            "Councillors in {town} voted on {day} to allow {homes} new homes to be built on "
            "farmland north of the town.",
        ),
        headlines=(
            "{town} council backs plan for {homes} new homes",
            "{homes} homes to be built on {town} farmland",
            "Councillors approve {homes}-home development in {town}",
        ),
        openers=(
            "The empty fields on the edge of the town have been the subject of debate for years.",
        ),
        details=(
            "The developer, {company}, says a third of the homes will be sold below market prices.",
            "Residents raised concerns about traffic and the pressure on local schools.",
            '"Young families cannot afford to live here anymore," said council leader {per}.',
            "Building work is expected to begin next spring.",
        ),
    ),
    # --- science ----------------------------------------------------------------------------
    _Event(
        "science",
        "new species",
        facts=(
            "Researchers at the University of {town} have identified a new species of "
            "{creature} in the forests of {region}.",
            "A new species of {creature} has been discovered in the forests of {region} by a "
            "team from the University of {town}.",
        ),
        headlines=(
            "New {creature} species found in {region}",
            "Scientists discover new {creature} in {region} forests",
            "{town} team identifies new species of {creature}",
        ),
        openers=("The forests of {region} are among the least explored places in the country.",),
        details=(
            "The animal was first spotted by {per}, a student on the team, during a night survey.",
            '"We were amazed to find something new so close to a road," said {per2}, who led '
            "the study.",
            "The researchers have named it after the river where it was found.",
            "The team warned that logging could threaten its small habitat.",
        ),
    ),
    _Event(
        "science",
        "mars probe",
        facts=(
            "The {probe} spacecraft entered orbit around Mars on {day} after a journey of "
            "{months} months.",
            "After {months} months in space, the {probe} probe reached orbit around Mars on {day}.",
        ),
        headlines=(
            "{probe} probe reaches orbit around Mars",
            "{probe} spacecraft arrives at Mars after {months} months",
            "Mars orbit success for {probe} mission",
        ),
        openers=("Engineers at mission control had waited anxiously through the night.",),
        details=(
            "The probe will map the surface of the planet and search for signs of ancient water.",
            '"Every system is working as it should," said mission director {per}.',
            "The mission cost about {money} and involved more than {jobs} engineers.",
            "The first images are expected to reach Earth within a week.",
        ),
    ),
    _Event(
        "science",
        "drug trial",
        facts=(
            "A new drug made by {company} cut the risk of heart attacks by {bigpct}% in a large "
            "trial, researchers said on {day}.",
            "Researchers said on {day} that a heart drug developed by {company} reduced heart "
            "attacks by {bigpct}% in a major trial.",
        ),
        headlines=(
            "{company} drug cuts heart attack risk by {bigpct}%",
            "Trial shows {company} heart drug lowers risk",
            "Heart attacks fall {bigpct}% with new {company} drug",
        ),
        openers=("Heart disease remains one of the most common causes of death.",),
        details=(
            "The trial followed {crowd} patients in {small} countries for three years.",
            "{per}, who led the study, said the results were better than the team had hoped.",
            "Side effects were mild and similar to those of existing treatments.",
            "{company} said it would apply for approval later this year.",
        ),
    ),
    _Event(
        "science",
        "dinosaur fossil",
        facts=(
            "Scientists have unearthed a dinosaur skeleton in {region} that they believe is "
            "about {mya} million years old.",
            "A dinosaur skeleton thought to be around {mya} million years old has been found in "
            "a quarry in {region}.",
        ),
        headlines=(
            "{mya} million-year-old dinosaur found in {region}",
            "Dinosaur skeleton unearthed in {region} quarry",
            "{region} quarry yields {mya} million-year-old dinosaur",
        ),
        openers=("The quarry has been worked for stone since the nineteenth century.",),
        details=(
            "The skeleton was found by a quarry worker, {per}, who noticed bones in a slab of "
            "rock.",
            '"It is one of the most complete skeletons we have ever seen," said {per2}, a '
            "researcher at the University of {town}.",
            "The animal was about {small} metres long and probably ate plants.",
            "The bones will go on display at the museum in {town} next year.",
        ),
    ),
    _Event(
        "science",
        "fast battery",
        facts=(
            "Engineers at the University of {town} have built a battery that can be fully "
            "charged in {fewmin} minutes, they said on {day}.",
            "A battery that charges fully in just {fewmin} minutes has been developed by "
            "engineers at the University of {town}.",
        ),
        headlines=(
            "{town} engineers build {fewmin}-minute battery",
            "New battery charges fully in {fewmin} minutes",
            "University of {town} unveils fast-charging battery",
        ),
        openers=("Slow charging has long held back the spread of electric cars.",),
        details=(
            "The design uses a new material that lets energy flow in and out more quickly.",
            '"This could change the way people think about electric cars," said {per}, who led '
            "the project.",
            "The team is working with {company} to test the battery in vehicles.",
            "The researchers say the battery could be on sale within five years.",
        ),
    ),
    _Event(
        "science",
        "glacier loss",
        facts=(
            "Glaciers in {region} have lost {bigpct}% of their ice since 1990, according to a "
            "study published on {day}.",
            "A study published on {day} found that the glaciers of {region} have shrunk by "
            "{bigpct}% since 1990.",
        ),
        headlines=(
            "{region} glaciers lose {bigpct}% of ice since 1990",
            "Study finds {region} glaciers shrinking fast",
            "{region} ice loss reaches {bigpct}%, study says",
        ),
        openers=("Climbers in the mountains have noticed the change for years.",),
        details=(
            "The researchers compared satellite images with old maps and photographs.",
            '"The speed of the loss surprised us," said {per}, who led the study.',
            "Rising summer temperatures are the main cause, the study said.",
            "Some smaller glaciers could disappear completely within a few decades.",
        ),
    ),
    # --- weather ----------------------------------------------------------------------------
    _Event(
        "weather",
        "heat record",
        facts=(
            "Temperatures reached {temp} degrees in {town} on {day}, the highest ever recorded "
            "in {region}.",
            "{town} recorded a temperature of {temp} degrees on {day}, setting a new record for "
            "{region}.",
        ),
        headlines=(
            "{town} hits {temp} degrees in new {region} record",
            "Record heat in {region} as {town} reaches {temp} degrees",
            "Heat record broken in {region}",
        ),
        openers=("Beaches and parks were crowded from early morning.",),
        details=(
            "The previous record of {temp2} degrees was set {small} years ago.",
            "Health officials urged people to drink plenty of water and stay out of the sun.",
            "Several trains were cancelled after rails buckled in the heat.",
            '"We have never seen anything like it," said forecaster {per}.',
        ),
    ),
    _Event(
        "weather",
        "river floods",
        facts=(
            "Floods hit hundreds of homes in {town} on {day} after the river burst its banks "
            "following days of heavy rain.",
            "The river running through {town} burst its banks on {day}, flooding hundreds of "
            "homes.",
        ),
        headlines=(
            "River floods hundreds of homes in {town}",
            "{town} homes flooded as river bursts banks",
            "Heavy rain brings floods to {town}",
        ),
        openers=("It had rained almost without a break for three days.",),
        details=(
            "Some {rain} millimetres of rain fell in {region} in two days.",
            "Rescue teams used boats to reach people trapped in their homes.",
            '"The water came up so fast we had no time to move anything," said resident {per}.',
            "Schools in the town will stay closed until the water goes down.",
        ),
    ),
    _Event(
        "weather",
        "storm power cuts",
        facts=(
            "A storm with winds of up to {wind} kilometres per hour left {homes} homes across "
            "{region} without power on {day}.",
            "About {homes} homes in {region} lost power on {day} as a storm brought winds of up "
            "to {wind} kilometres per hour.",
        ),
        headlines=(
            "Storm leaves {homes} homes in {region} without power",
            "Power cut to {homes} homes as storm hits {region}",
            "Storm brings {wind} kilometres per hour winds to {region}",
        ),
        openers=("Forecasters had warned of strong winds all week.",),
        details=(
            "Fallen trees blocked roads and brought down power lines.",
            "{company}, the local electricity supplier, said most homes should be reconnected "
            "by the weekend.",
            "Ferries between {town} and the islands were cancelled.",
            '"It was the worst storm I can remember," said {per}, who has lived in {town} for '
            "decades.",
        ),
    ),
    _Event(
        "weather",
        "heavy snow",
        facts=(
            "Heavy snow closed schools and roads across {region} on {day}, with up to {snow} "
            "centimetres falling overnight.",
            "Up to {snow} centimetres of snow fell across {region} overnight, forcing schools "
            "and roads to close on {day}.",
        ),
        headlines=(
            "Heavy snow shuts schools and roads in {region}",
            "Up to {snow} centimetres of snow hits {region}",
            "Snow closes schools across {region}",
        ),
        openers=("Many people woke up to a white landscape.",),
        details=(
            "Hundreds of drivers were stranded on the main road near {town}.",
            "The airport in {town} cancelled all morning flights.",
            '"Please only travel if you really have to," said {per}, head of the regional '
            "emergency service.",
            "More snow is forecast for the rest of the week.",
        ),
    ),
    _Event(
        "weather",
        "hose ban",
        facts=(
            "Water supplier {company} has banned the use of garden hoses across {region} from "
            "{day} after the driest spring in decades.",
            "{company}, which supplies water to {region}, said on {day} it would ban garden "
            "hoses after months of dry weather.",
        ),
        headlines=(
            "{company} bans garden hoses as drought hits {region}",
            "Hose ban for {region} after driest spring in decades",
            "Drought forces garden hose ban in {region}",
        ),
        openers=("Reservoirs across the region are at their lowest level in years.",),
        details=(
            "Only {drizzle} millimetres of rain have fallen in the area since {month}.",
            "Customers who break the ban could face fines.",
            '"We all need to use less water," said {per}, a spokesperson for {company}.',
            "Farmers say their crops are already suffering.",
        ),
    ),
    _Event(
        "weather",
        "wildfire",
        facts=(
            "A wildfire forced the evacuation of {small} villages near {town} on {day} as "
            "strong winds spread the flames.",
            "Strong winds spread a wildfire near {town} on {day}, forcing people to leave "
            "{small} villages.",
        ),
        headlines=(
            "Wildfire near {town} forces evacuation of {small} villages",
            "{Small} villages evacuated as wildfire spreads near {town}",
            "Wind-driven wildfire threatens villages near {town}",
        ),
        openers=("The hills above the town have been dry for weeks.",),
        details=(
            "More than {crews} firefighters were sent to fight the fire.",
            "No injuries have been reported so far.",
            '"We left with only the clothes we were wearing," said {per}, who lives in one of '
            "the villages.",
            "Officials said the fire had burned about {area} hectares of forest.",
        ),
    ),
    # --- culture ----------------------------------------------------------------------------
    _Event(
        "culture",
        "book prize",
        facts=(
            "{per} won the {award} on {day} for {work}, a novel about three generations of a "
            "fishing family.",
            "The novel {work} by {per}, which follows three generations of a fishing family, "
            "won the {award} on {day}.",
        ),
        headlines=(
            "{per} wins {award} for {work}",
            "{work} takes the {award}",
            "Fishing family novel wins {last} the {award}",
        ),
        openers=("The winner was announced at a dinner in {town}.",),
        details=(
            "The prize comes with {prize} in cash.",
            '"I wrote this book for my grandmother," {last} said.',
            "The judges called it a moving and beautifully written book.",
            "Sales of the novel are expected to rise sharply.",
        ),
    ),
    _Event(
        "culture",
        "film prize",
        facts=(
            "{work}, the first feature film by director {per}, won the top prize at the "
            "{festival} on {day}.",
            "Director {per} won the top prize at the {festival} on {day} with {work}, a debut "
            "feature.",
        ),
        headlines=(
            "Debut film {work} wins top prize at {festival}",
            "{last} takes {festival} top prize with first film",
            "{festival} award goes to {per} for {work}",
        ),
        openers=("The festival closed with a ceremony on the seafront.",),
        details=(
            "The film tells the story of two sisters who run a small hotel.",
            '"I made this film with friends and almost no money," {last} said.',
            "The jury was led by actor {per2}.",
            "The film will be released in cinemas in {month}.",
        ),
    ),
    _Event(
        "culture",
        "museum reopens",
        facts=(
            "The {town} Museum of Art reopened on {day} after a {fee} renovation that took "
            "{small} years.",
            "After {small} years of work costing {fee}, the {town} Museum of Art reopened to "
            "the public on {day}.",
        ),
        headlines=(
            "{town} Museum of Art reopens after {fee} renovation",
            "{town} art museum reopens after {small} years",
            "Renovated {town} Museum of Art opens its doors",
        ),
        openers=("Queues stretched around the block before the doors opened.",),
        details=(
            "The museum now has space to show twice as many works as before.",
            '"We wanted a museum that belongs to everyone," said director {per}.',
            "Entry will be free for the first month.",
            "The original building dates from the late nineteenth century.",
        ),
    ),
    _Event(
        "culture",
        "world tour",
        facts=(
            "Singer {per} announced a world tour of {num} concerts on {day}, starting in {town} "
            "in {month}.",
            "{per} will begin a {num}-date world tour in {town} in {month}, the singer said on "
            "{day}.",
        ),
        headlines=(
            "{per} announces {num}-date world tour",
            "Singer {last} to start world tour in {town}",
            "{last} world tour to open in {town} in {month}",
        ),
        openers=("Fans had been hoping for news since the release of the last album.",),
        details=(
            "It will be the first tour by {last} in {small} years.",
            "Tickets go on sale next week.",
            '"I cannot wait to see the fans again," {last} said.',
            "The tour will support a new album, {work}, which comes out next month.",
        ),
    ),
    _Event(
        "culture",
        "painting auction",
        facts=(
            "{work}, a painting by {per}, sold for {fee} at an auction in {town} on {day}, a "
            "record for the artist.",
            "A painting by {per}, {work}, fetched a record {fee} at an auction in {town} on {day}.",
        ),
        headlines=(
            "{last} painting sells for record {fee}",
            "Record {fee} for {per} painting at auction",
            "{work} by {last} fetches {fee}",
        ),
        openers=("The saleroom was packed with collectors and dealers.",),
        details=(
            "The buyer, who bid by telephone, did not want to be named.",
            "The picture had been expected to sell for about half that amount.",
            "{per2}, an art dealer, said the price showed strong demand for the artist's work.",
            "The painting had been in the same family for more than fifty years.",
        ),
    ),
    _Event(
        "culture",
        "festival record",
        facts=(
            "The {festival} drew a record {crowd} visitors this year, organisers said on {day}.",
            "A record {crowd} people attended this year's {festival}, organisers said on {day}.",
        ),
        headlines=(
            "Record {crowd} visitors attend the {festival}",
            "{festival} draws record crowd",
            "Record year for the {festival} in {town}",
        ),
        openers=("The sun shone for all four days of the event.",),
        details=(
            "Hotels in {town} were fully booked for the whole weekend.",
            '"We are already planning next year," said festival director {per}.',
            "The festival featured more than {num} performers from around the world.",
            "Local businesses said it was their best week of the year.",
        ),
    ),
    # --- crime and courts -------------------------------------------------------------------
    _Event(
        "crime",
        "fraud sentence",
        facts=(
            "A court in {town} sentenced former bank manager {per} to {years} years in prison "
            "on {day} for stealing {cash} from customers.",
            "Former bank manager {per} was jailed for {years} years on {day} after stealing "
            "{cash} from customers, a court in {town} ruled.",
        ),
        headlines=(
            "Former bank manager {last} jailed for {years} years",
            "{per} gets {years} years for stealing from customers",
            "Bank manager jailed over {cash} theft",
        ),
        openers=("The courtroom was full when the judge began to speak.",),
        details=(
            "{last} moved money from the accounts of elderly customers over {small} years.",
            '"You betrayed people who trusted you," judge {per2} told the court.',
            "The theft was discovered during a routine audit.",
            "The bank said all customers had been repaid in full.",
        ),
    ),
    _Event(
        "crime",
        "robbery arrests",
        facts=(
            "Police arrested {small} people on {day} in connection with a jewellery robbery in "
            "central {town} last month.",
            "Police said on {day} that {small} people had been arrested over last month's "
            "jewellery robbery in central {town}.",
        ),
        headlines=(
            "Police arrest {small} over {town} jewellery robbery",
            "{Small} held over {town} jewellery raid",
            "Arrests made after {town} jewellery robbery",
        ),
        openers=("Shoppers in the town centre were startled by the sound of breaking glass.",),
        details=(
            "Jewellery worth {cash} was taken in the raid.",
            "Detective {per} said the investigation was continuing.",
            "Officers recovered some of the stolen items from a house in {town2}.",
            "Nobody was hurt in the robbery, but staff were badly shaken.",
        ),
    ),
    _Event(
        "crime",
        "murder acquittal",
        facts=(
            "A jury in {town} found {per} not guilty of murder on {day} after a trial lasting "
            "{small} weeks.",
            "{per} was cleared of murder by a jury in {town} on {day} at the end of a "
            "{small}-week trial.",
        ),
        headlines=(
            "{per} cleared of murder after {town} trial",
            "Jury finds {last} not guilty of murder",
            "{last} acquitted at end of {small}-week murder trial",
        ),
        openers=("The trial had attracted wide attention across the country.",),
        details=(
            "{last} had always denied any involvement in the killing.",
            '"I am just glad this nightmare is over," {last} said outside the court.',
            "Prosecutors said they would consider whether to appeal.",
            "Police said the investigation into the death would remain open.",
        ),
    ),
    _Event(
        "crime",
        "pollution fine",
        facts=(
            "{company} was fined {fee} on {day} for polluting the river near its plant in {town}.",
            "A court ordered {company} to pay {fee} on {day} for polluting the river near its "
            "{town} plant.",
        ),
        headlines=(
            "{company} fined {fee} for polluting river",
            "{company} to pay {fee} over {town} river pollution",
            "River pollution near {town} costs {company} {fee}",
        ),
        openers=("Anglers first noticed dead fish in the river early last year.",),
        details=(
            "Chemicals from the plant killed thousands of fish along several kilometres of water.",
            "{per}, a spokesperson for {company}, said the company had improved its safety "
            "systems.",
            "Environmental groups said the penalty was too small.",
            "The river has since begun to recover, according to the environment agency.",
        ),
    ),
    _Event(
        "crime",
        "data theft",
        facts=(
            "Hackers stole the personal details of {custom} customers of {company}, the company "
            "said on {day}.",
            "{company} said on {day} that hackers had taken the personal data of {custom} "
            "customers.",
        ),
        headlines=(
            "Hackers steal data of {custom} {company} customers",
            "{company} hit by data theft affecting {custom} customers",
            "{custom} customers caught up in {company} hack",
        ),
        openers=("Customers first noticed strange messages in their inboxes a week ago.",),
        details=(
            "Names, addresses and phone numbers were taken, but no bank details, the company said.",
            "Police are investigating the attack.",
            '"We are deeply sorry," said chief executive {per}.',
            "Customers have been told to watch out for suspicious emails.",
        ),
    ),
    _Event(
        "crime",
        "conviction quashed",
        facts=(
            "The appeal court on {day} overturned the robbery conviction of {per}, who has "
            "spent {years} years in prison.",
            "{per}, who has served {years} years in prison for a robbery, had the conviction "
            "overturned by the appeal court on {day}.",
        ),
        headlines=(
            "Appeal court quashes robbery conviction of {per}",
            "{last} freed after {years} years as conviction overturned",
            "Robbery conviction of {last} overturned after {years} years",
        ),
        openers=("Campaigners had fought for years to have the case reopened.",),
        details=(
            "New DNA evidence showed that someone else had committed the crime.",
            '"I never stopped telling the truth," {last} said outside the court.',
            "The lawyer for {last}, {per2}, said the case showed the need for reform.",
            "The robbery took place at a petrol station in {town}.",
        ),
    ),
    # --- transport --------------------------------------------------------------------------
    _Event(
        "transport",
        "rail strike",
        facts=(
            "Train drivers at {rail} will strike for {small} days from {day} in a dispute over "
            "pay, their union said.",
            "Drivers at {rail} are to walk out for {small} days starting on {day} in a row over "
            "pay, the union announced.",
        ),
        headlines=(
            "{rail} drivers to strike for {small} days over pay",
            "Pay dispute brings {small}-day strike at {rail}",
            "{rail} train drivers announce strike",
        ),
        openers=("Commuters are bracing themselves for another difficult month.",),
        details=(
            "The union says pay has fallen far behind prices over the past three years.",
            "{rail} said it would run a reduced timetable and urged passengers to plan ahead.",
            '"Nobody wants a strike, but our members have had enough," said union leader {per}.',
            "Talks between the two sides broke down last week.",
        ),
    ),
    _Event(
        "transport",
        "new flights",
        facts=(
            "{airline} will start direct flights between {town} and {town2} in {month}, the "
            "airline said on {day}.",
            "{airline} said on {day} that it would launch direct flights from {town} to "
            "{town2} in {month}.",
        ),
        headlines=(
            "{airline} to launch direct {town} to {town2} flights",
            "New {town} to {town2} route for {airline}",
            "Direct flights between {town} and {town2} from {month}",
        ),
        openers=("Business travellers had long complained about the lack of links.",),
        details=(
            "There will be {small} flights a week at first.",
            '"This route will bring new visitors and new business," said {per}, head of the '
            "airport in {town}.",
            "Return fares will start at {fare}.",
            "Until now, passengers have had to change planes to make the journey.",
        ),
    ),
    _Event(
        "transport",
        "bridge closure",
        facts=(
            "The {town} Bridge will close for {months} months from {month} for repairs, "
            "officials said on {day}.",
            "Officials said on {day} that the {town} Bridge would shut for {months} months from "
            "{month} while repairs are carried out.",
        ),
        headlines=(
            "{town} Bridge to close for {months} months",
            "Repairs to shut {town} Bridge from {month}",
            "{months}-month closure planned for {town} Bridge",
        ),
        openers=("Drivers have complained about the state of the road surface for years.",),
        details=(
            "Inspectors found cracks in the steel supports during a check last year.",
            "Traffic will be sent on a diversion through {town2}, adding about {detour} minutes "
            "to journeys.",
            '"We know this will be difficult for local people," said {per}, who is in charge of '
            "the project.",
            "The bridge carries about {crowd} vehicles a day.",
        ),
    ),
    _Event(
        "transport",
        "signal failure",
        facts=(
            "Thousands of commuters faced delays of up to {minutes} minutes on {day} after a "
            "signal failure near {town}.",
            "A signal failure near {town} on {day} left thousands of passengers facing delays "
            "of up to {minutes} minutes.",
        ),
        headlines=(
            "Signal failure near {town} delays thousands",
            "Commuters face {minutes}-minute delays after signal fault",
            "Rail chaos as signal fails near {town}",
        ),
        openers=("The morning rush hour started like any other.",),
        details=(
            "{rail} said engineers had fixed the problem by the early afternoon.",
            "Some passengers were stuck on trains for more than an hour.",
            '"Nobody told us anything for ages," said passenger {per}.',
            "It was the third signal failure on the line this month.",
        ),
    ),
    _Event(
        "transport",
        "fare rise",
        facts=(
            "Bus and train fares in {region} will rise by an average of {pct}% from {month}, "
            "transport officials said on {day}.",
            "Transport officials in {region} announced on {day} that bus and train fares would "
            "go up by {pct}% on average from {month}.",
        ),
        headlines=(
            "{region} bus and train fares to rise {pct}%",
            "Fares up {pct}% for {region} passengers from {month}",
            "{region} public transport fares to increase",
        ),
        openers=("Passengers in {region} already pay some of the highest fares in the country.",),
        details=(
            "Officials said the money was needed to pay for new trains and buses.",
            "Passenger groups said the rise would hit low-paid workers hardest.",
            '"We have kept the increase as low as we can," said {per}, the regional transport '
            "chief.",
            "Season tickets will rise by slightly less than other fares.",
        ),
    ),
    _Event(
        "transport",
        "tram opening",
        facts=(
            "{town} opened its first tram line on {day}, linking the city centre with the "
            "airport in {tram} minutes.",
            "The first tram line in {town} opened on {day}, taking passengers from the city "
            "centre to the airport in {tram} minutes.",
        ),
        headlines=(
            "{town} opens first tram line to airport",
            "Tram links {town} centre and airport in {tram} minutes",
            "First {town} tram line carries passengers",
        ),
        openers=("Crowds gathered at the stops long before the first tram arrived.",),
        details=(
            "The line cost {money} and took {small} years to build.",
            "Trams will run every {headway} minutes from early morning until midnight.",
            '"This is a great day for the city," said mayor {per}.',
            "A second line is planned to open in {month}.",
        ),
    ),
)
"""The event templates, six per topic."""

TOPIC_OPENERS: dict[str, tuple[str, ...]] = {
    "business": (
        "It had been a quiet week for the markets until then.",
        "The past year has been a difficult one for many firms.",
        "The news was released shortly before the markets opened.",
    ),
    "sport": (
        "Supporters had waited a long time for a day like this.",
        "It has been an eventful season so far.",
        "The news dominated the sports pages this week.",
    ),
    "politics": (
        "The issue has divided opinion for months.",
        "The news was confirmed late in the evening.",
        "Few people expected events to move so quickly.",
    ),
    "science": (
        "The work began almost a decade ago.",
        "The results were announced at a press briefing.",
        "Researchers had been careful not to raise hopes too early.",
    ),
    "weather": (
        "Forecasters had issued warnings earlier in the week.",
        "The weather has been unusual for the time of year.",
        "Few people could remember conditions like these.",
    ),
    "culture": (
        "It was a night of celebration for the arts world.",
        "The announcement had been long awaited.",
        "Fans and critics had followed the story closely.",
    ),
    "crime": (
        "The case has been followed closely by local people.",
        "The news was confirmed by officials late in the day.",
        "The investigation has taken many months.",
    ),
    "transport": (
        "Travel in the area has been difficult for some time.",
        "The announcement was made at a press conference.",
        "Passengers have long called for improvements.",
    ),
}
"""Scene-setting sentences that fit every event of a topic."""

TOPIC_BACKGROUND: dict[str, tuple[str, ...]] = {
    "business": (
        "Markets across the region were mixed on the day.",
        "Economists say the outlook for the coming year remains uncertain.",
        "Further details are expected to be published later this month.",
    ),
    "sport": (
        "Fans reacted quickly to the news on social media.",
        "It has been a season full of surprises.",
    ),
    "politics": (
        "Opposition parties said they would study the details closely.",
        "The next general election is due within two years.",
    ),
    "science": (
        "Scientists elsewhere welcomed the news.",
        "The work was supported by public research funding.",
    ),
    "weather": (
        "Forecasters said conditions should return to normal by the end of the week.",
        "Emergency services said they were ready to help anyone in need.",
    ),
    "culture": (
        "The news was widely shared by fans online.",
        "It has been a strong year for the arts in the region.",
    ),
    "crime": (
        "The case has attracted wide interest in the region.",
        "Officials declined to give further details.",
    ),
    "transport": (
        "Passengers were advised to check for updates before travelling.",
        "Transport officials said more details would follow in the coming weeks.",
    ),
}
"""Background sentences that fit every event of a topic (before or after the key sentence)."""

DATELINES = (
    "The news came out of {town} late in the afternoon.",
    "Word spread quickly through {town} once the first reports appeared.",
    "Reports began to arrive from {town} in the early afternoon.",
    "It was a busy day in {town}.",
)
"""Dateline-like leads that fit every event."""

# ---------------------------------------------------------------------------------------------
# Name pools and checks.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pool:
    """A name list cut into the half used everywhere and the half kept out of train."""

    shared: tuple[str, ...]
    heldout: tuple[str, ...]


def _split_pool(items: Sequence[str]) -> _Pool:
    """Cut a list in two: positions 0 and 3 of every 4 are shared, 1 and 2 held out."""
    shared = tuple(x for i, x in enumerate(items) if i % 4 in (0, 3))
    heldout = tuple(x for i, x in enumerate(items) if i % 4 in (1, 2))
    return _Pool(shared, heldout)


POOLS: dict[str, _Pool] = {
    "first": _split_pool(FIRST_NAMES),
    "last": _split_pool(SURNAMES),
    "town": _split_pool(TOWNS),
    "region": _split_pool(REGIONS),
    "company": _split_pool(COMPANIES),
    "party": _split_pool(PARTIES),
    "cup": _split_pool(CUPS),
    "festival": _split_pool(FESTIVALS),
    "award": _split_pool(AWARDS),
    "work": _split_pool(WORKS),
    "airline": _split_pool(AIRLINES),
    "rail": _split_pool(RAIL_OPERATORS),
    "probe": _split_pool(PROBES),
    "creature": _split_pool(CREATURES),
}

_SLOT_NAMES = (
    "per", "first", "last", "per2", "last2", "company", "company2", "town", "town2", "region",
    "team", "team2", "party", "cup", "festival", "award", "work", "airline", "rail", "probe",
    "creature", "day", "month", "pct", "bigpct", "vote", "turnout", "rate", "money", "cash",
    "fee", "prize", "fare", "custom", "crowd", "homes", "jobs", "area", "crews", "seats", "seats2",
    "score", "seconds", "racetime", "age", "goals", "years", "months", "minutes", "fewmin",
    "detour", "tram", "headway", "temp", "temp2", "wind", "snow", "rain", "drizzle", "mya",
    "num", "small", "Small",
)  # fmt: skip
"""Every slot a template may name (see ``_Story.slots``)."""

_SENTENCE_START = re.compile(r'^["A-Z0-9]')
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _check_data() -> None:
    """Check the events and name lists.

    Raises:
        ValueError: for an unknown slot, a sentence template that does not end with ``.`` or
            holds another sentence end, a headline with a final period, a missing topic, a
            duplicate name or a name with a period.
    """
    known = set(_SLOT_NAMES)
    sentences = [t for e in EVENTS for t in e.templates()]
    sentences += [t for ts in (*TOPIC_OPENERS.values(), *TOPIC_BACKGROUND.values()) for t in ts]
    sentences += list(DATELINES)
    for template in sentences:
        if not template.endswith(".") or re.search(r"[.!?]\s", template) or "?" in template:
            raise ValueError(f"bad sentence template {template!r}")
    headlines = [t for e in EVENTS for t in e.headlines]
    for template in sentences + headlines:
        unknown = set(_fields(template)) - known
        if unknown or not template.isascii():
            raise ValueError(f"template {template!r}: unknown slots {sorted(unknown)}")
    for template in headlines:
        if template.endswith("."):
            raise ValueError(f"headline ends with a period: {template!r}")
    for event in EVENTS:
        if event.topic not in TOPICS or not (event.facts and event.headlines and event.details):
            raise ValueError(f"incomplete event {event.name!r}")
    for name, pool in POOLS.items():
        entries = pool.shared + pool.heldout
        if len(set(entries)) != len(entries) or any("." in entry for entry in entries):
            raise ValueError(f"name list {name!r} has duplicates or periods")


# ---------------------------------------------------------------------------------------------
# Story construction.
# ---------------------------------------------------------------------------------------------


class _Story:
    """Draws slot values and assembles stories for one split."""

    def __init__(self, rng: random.Random, heldout_rate: float) -> None:
        self.rng = rng
        self.heldout_rate = heldout_rate

    def _names(self, pool: str, count: int) -> list[str]:
        """Draw ``count`` distinct names, each from the held-out half with the split's rate."""
        chosen: list[str] = []
        while len(chosen) < count:
            half = POOLS[pool]
            if self.rng.random() < self.heldout_rate:
                name = self.rng.choice(half.heldout)
            else:
                name = self.rng.choice(half.shared)
            if name not in chosen:
                chosen.append(name)
        return chosen

    def _money(self) -> str:
        if self.rng.random() < 0.75:
            return f"${self.rng.randint(12, 950)} million"
        return f"${self.rng.randint(1, 9)}.{self.rng.randint(1, 9)} billion"

    def _custom(self) -> str:
        if self.rng.random() < 0.5:
            return f"{self.rng.randint(12, 95) * 1000:,}"
        tenths = self.rng.randint(11, 49)
        return f"{tenths // 10}.{tenths % 10} million"

    def slots(self) -> dict[str, str]:
        """Draw one story's slot values (people, places, organisations, numbers)."""
        rng = self.rng
        firsts = self._names("first", 2)
        lasts = self._names("last", 2)
        towns = self._names("town", 4)
        companies = self._names("company", 2)
        suffixes = rng.sample(TEAM_SUFFIXES, 2)
        winner = rng.randint(1, 5)
        temp = rng.randint(36, 44)
        small = rng.choice(SMALL_NUMBERS)
        return {
            "per": f"{firsts[0]} {lasts[0]}",
            "first": firsts[0],
            "last": lasts[0],
            "per2": f"{firsts[1]} {lasts[1]}",
            "last2": lasts[1],
            "company": companies[0],
            "company2": companies[1],
            "town": towns[0],
            "town2": towns[1],
            "region": self._names("region", 1)[0],
            "team": f"{towns[2]} {suffixes[0]}",
            "team2": f"{towns[3]} {suffixes[1]}",
            "party": self._names("party", 1)[0],
            "cup": self._names("cup", 1)[0],
            "festival": self._names("festival", 1)[0],
            "award": self._names("award", 1)[0],
            "work": self._names("work", 1)[0],
            "airline": self._names("airline", 1)[0],
            "rail": self._names("rail", 1)[0],
            "probe": self._names("probe", 1)[0],
            "creature": self._names("creature", 1)[0],
            "day": rng.choice(DAYS),
            "month": rng.choice(MONTHS),
            "pct": str(rng.randint(2, 15)),
            "bigpct": str(rng.randint(18, 45)),
            "vote": str(rng.randint(51, 68)),
            "turnout": str(rng.randint(38, 74)),
            "rate": f"{rng.randint(2, 6)}.{rng.choice(('25', '5', '75'))}",
            "money": self._money(),
            "fee": f"${rng.randint(2, 95)} million",
            "cash": f"${rng.randint(12, 95) * 10000:,}",
            "prize": f"${rng.randint(5, 50) * 1000:,}",
            "fare": f"${rng.randint(49, 199)}",
            "custom": self._custom(),
            "crowd": f"{rng.randint(8, 90) * 1000:,}",
            "homes": f"{rng.randint(12, 300) * 10:,}",
            "jobs": f"{rng.randint(12, 240) * 10:,}",
            "area": f"{rng.randint(2, 60) * 100:,}",
            "crews": str(rng.randint(12, 65) * 10),
            "seats": str(rng.randint(180, 260)),
            "seats2": str(rng.randint(90, 170)),
            "score": f"{winner}-{rng.randint(0, winner - 1)}",
            "seconds": f"{rng.randint(43, 45)}.{rng.randint(10, 99)}",
            "racetime": f"2:0{rng.randint(4, 9)}:{rng.randint(10, 59)}",
            "age": str(rng.randint(21, 34)),
            "goals": str(rng.randint(8, 31)),
            "years": str(rng.randint(3, 14)),
            "months": str(rng.randint(3, 14)),
            "minutes": str(rng.randint(4, 15) * 10),
            "fewmin": str(rng.randint(5, 12)),
            "detour": str(rng.randint(10, 40)),
            "tram": str(rng.randint(15, 35)),
            "headway": str(rng.randint(5, 12)),
            "temp": str(temp),
            "temp2": str(temp - 1),
            "wind": str(rng.randint(9, 17) * 10),
            "snow": str(rng.randint(20, 80)),
            "rain": str(rng.randint(60, 250)),
            "drizzle": str(rng.randint(8, 40)),
            "mya": str(rng.randint(66, 150)),
            "num": str(rng.randint(12, 60)),
            "small": small,
            "Small": small.capitalize(),
        }

    def story(self, event: _Event) -> Record:
        """Draw one story and headline for ``event``.

        Returns:
            The record ``{"source": ..., "reference": ...}``.
        """
        rng = self.rng
        slots = self.slots()
        position = rng.choices(range(len(KEY_POSITION_WEIGHTS)), KEY_POSITION_WEIGHTS)[0]
        openers = event.openers + TOPIC_OPENERS[event.topic]
        templates: list[str] = []
        if position == 1:
            templates.append(rng.choice(openers + DATELINES))
        elif position == 2:
            templates.append(rng.choice(DATELINES))
            templates.append(rng.choice(openers))
        templates.append(rng.choice(event.facts))
        room = MAX_SENTENCES - len(templates)
        count = min(rng.choice(DETAIL_COUNTS), len(event.details), room)
        templates.extend(rng.sample(event.details, count))
        if len(templates) < MAX_SENTENCES and rng.random() < BACKGROUND_RATE:
            extra = [t for t in TOPIC_BACKGROUND[event.topic] if t not in templates]
            templates.append(rng.choice(extra))
        sentences = [t.format(**slots) for t in templates]
        headline = rng.choice(event.headlines).format(**slots)
        return {"source": " ".join(sentences), "reference": headline}


def _valid(record: Record) -> bool:
    """Whether a record meets the length limits and splits into its sentences exactly."""
    sentences = _SENTENCE_END.split(record["source"])
    source_words = len(record["source"].split())
    reference_words = len(record["reference"].split())
    return (
        MIN_SENTENCES <= len(sentences) <= MAX_SENTENCES
        and all(s.endswith(".") and _SENTENCE_START.match(s) for s in sentences)
        and len(re.findall(r"\.(?:\s|$)", record["source"])) == len(sentences)
        and MIN_SOURCE_WORDS <= source_words <= MAX_SOURCE_WORDS
        and MIN_REFERENCE_WORDS <= reference_words <= MAX_REFERENCE_WORDS
    )


# ---------------------------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------------------------


def generate(seed: int = DEFAULT_SEED) -> dict[str, list[Record]]:
    """Generate the corpus.

    Every event is used equally often within a split (up to one), in shuffled order.

    Args:
        seed: base seed; each split uses its own ``random.Random`` derived from it.

    Returns:
        Split name (``train``, ``validation``, ``test``) -> list of records
        ``{"source": ..., "reference": ...}``.

    Raises:
        RuntimeError: if no valid, new record is found for an event in ``MAX_TRIES`` draws.
    """
    _check_data()
    seen: set[str] = set()
    corpus: dict[str, list[Record]] = {}
    for split_index, (split, size) in enumerate(SPLIT_SIZES.items()):
        rng = random.Random(seed * 10 + split_index)
        maker = _Story(rng, 0.0 if split == "train" else HELDOUT_RATE)
        order = list(EVENTS) * (size // len(EVENTS))
        order += rng.sample(EVENTS, size - len(order))
        rng.shuffle(order)
        records: list[Record] = []
        for event in order:
            for _ in range(MAX_TRIES):
                record = maker.story(event)
                if _valid(record) and record["source"] not in seen:
                    break
            else:
                raise RuntimeError(f"{split}: no valid new story for event {event.name!r}")
            seen.add(record["source"])
            records.append(record)
        corpus[split] = records
    return corpus


def write_jsonl(records: Iterable[Record], path: str | Path) -> None:
    """Write records as JSON lines (ASCII, LF line endings), keys ``source`` then ``reference``.

    Args:
        records: the records.
        path: the output file.
    """
    lines = [
        json.dumps({"source": r["source"], "reference": r["reference"]}, ensure_ascii=True) + "\n"
        for r in records
    ]
    Path(path).write_text("".join(lines), encoding="ascii", newline="\n")


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point: write ``train``, ``validation`` and ``test`` ``.jsonl`` files.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        description="Write the built-in news summarization corpus (JSONL)."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "summarization",
        help="output directory (default: the 'summarization' folder next to this module)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, records in generate(args.seed).items():
        path = args.out / f"{split}.jsonl"
        write_jsonl(records, path)
        words = sum(len(r["source"].split()) for r in records)
        print(f"{path}: {len(records)} records, {words} source words")


if __name__ == "__main__":
    main()
