"""Generator for the built-in text-classification corpora (``sentiment`` and ``topic``).

Every text of ``textenvs/data/builtin/sentiment/*.jsonl`` and
``textenvs/data/builtin/topic/*.jsonl`` is produced by this module from the hand-written
templates, phrase lists and name lists below; nothing is copied from a public dataset. The
products, films, books, restaurants, hotels, apps, companies, teams and most towns are
invented; ordinary first names, surnames and real countries and cities appear alongside them.

Corpora:
    * ``sentiment``: short reviews of gadgets, audio equipment, household appliances, films,
      books, restaurants, hotels and apps, labelled ``negative`` or ``positive`` (balanced).
    * ``topic``: short news items (a headline-like sentence, usually followed by one or two
      more), labelled ``world``, ``sports``, ``business`` or ``science`` (balanced).

Each line of a file is one JSON object ``{"text": ..., "label": ...}``. ``LABELS`` gives the
label set of each corpus in class order.

Design:
    * Difficulty for an agent that reads token by token and may answer early. Reviews often
      open with a neutral sentence ("We stayed at the Linden Inn for three nights in May."),
      use negation in both directions ("the plot was not bad at all", "I was not impressed
      by the staff"), and put a *foil* clause of the opposite polarity before the decisive
      one ("The screen looks sharp and colourful, but overall this tablet was a waste of
      money.") or after it ("..., even though the wifi barely worked."). Cue words such as
      "recommend", "worth", "disappointed", "regret", "bad", "love" and "complaint" occur in
      texts of both labels. News items share vocabulary across topics ("record", "market", "launch",
      "club", "deal", "talks", "trial", "strike", "world", "energy"), some headlines are
      vague and shared by all four topics ("Long wait finally over for Ashby.") so that only
      the next sentence decides, and person, place and town names are drawn from the same
      lists for every topic, so that a name never gives the label away. Headlines and
      follow-up sentences carry a theme (``"football|..."``); follow-ups are chosen to match
      the theme of the story so far, so that the sentences of one item fit together.
    * Held-out wording: the name lists, the neutral opening and closing sentences of reviews,
      and the headlines and follow-up sentences of news items are each cut into a *shared*
      and a *held-out* half. Train draws from the shared halves only; validation and test
      draw each item from the held-out half with probability ``HELDOUT_RATE``, so they
      contain names and sentences never seen in train.
    * No duplicates: a text that already occurs in the same or an earlier split (train, then
      validation, then test) is drawn again, so evaluation texts never repeat train texts.
    * Determinism: all randomness comes from ``random.Random`` objects seeded from the
      ``seed`` argument, and only lists and tuples are iterated, so the files are
      byte-identical on every run.

With the shipped seed, a bag-of-words logistic regression trained on train scores about 0.86
(sentiment) and 0.89 (topic) accuracy on validation and test, but only about 0.58 and 0.64
when it sees just the first five words of each text: reading on pays.

Template syntax: text with ``{kind}`` slots; ``{kind#a}`` refers to the same entity every time
it appears in one text (``{per#a}`` and ``{last#a}`` name the same person). In review
templates, ``{cue}`` is a clause with the polarity of the label and ``{foil}`` one with the
opposite polarity. The first letter of every sentence is capitalised after filling, and ``a``
becomes ``an`` before a vowel.

Regenerate the shipped files (from the repository root)::

    python -m textenvs.data.builtin.make_classification_corpora

``--out DIR`` writes ``DIR/sentiment/*.jsonl`` and ``DIR/topic/*.jsonl`` instead;
``--seed N`` changes the seed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

DEFAULT_SEED = 20240612
"""Seed of the shipped files."""

LABELS: dict[str, tuple[str, ...]] = {
    "sentiment": ("negative", "positive"),
    "topic": ("world", "sports", "business", "science"),
}
"""Label set of each corpus, in class order."""

SPLIT_SIZES: dict[str, dict[str, int]] = {
    "sentiment": {"train": 1200, "validation": 200, "test": 200},
    "topic": {"train": 1200, "validation": 200, "test": 200},
}
"""Number of texts per corpus and split, in the order the splits are generated."""

HELDOUT_RATE = 0.4
"""Probability that a validation/test item draws from the held-out half of its list."""

MIN_WORDS = 5
"""Texts with fewer whitespace-separated words are drawn again."""

MAX_WORDS = 60
"""Texts with more whitespace-separated words are drawn again."""

MAX_TRIES = 200
"""Draws allowed per text before generation gives up."""

Example = tuple[str, str]
"""A labelled text as (text, label)."""

# ---------------------------------------------------------------------------------------------
# Shared name lists. Each list is split into a shared and a held-out half by ``_split_pool``.
# ---------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "James", "Maria", "David", "Anna", "Michael", "Elena", "Thomas", "Sofia", "Daniel", "Laura",
    "Peter", "Sarah", "Robert", "Julia", "Mark", "Helen", "Paul", "Emma", "Andrew", "Nina",
    "Carlos", "Lucia", "Ahmed", "Fatima", "Kenji", "Yuki", "Wei", "Mei", "Raj", "Priya",
    "Kwame", "Amara", "Ivan", "Olga", "Lars", "Astrid", "Diego", "Carmen", "Luca", "Giulia",
    "Samuel", "Ruth", "Omar", "Leila", "Sean", "Niamh", "Arjun", "Ananya", "Jonas", "Lena",
    "Felipe", "Beatriz", "Victor", "Irene", "Hugo", "Ines", "Tariq", "Yasmin", "Chidi", "Ngozi",
    "Sven", "Malin", "Dmitri", "Katya", "Mateo", "Valentina", "Oscar", "Hannah",
)  # fmt: skip

SURNAMES = (
    "Ellis", "Brooks", "Carter", "Reed", "Hughes", "Turner", "Walsh", "Murphy", "Novak",
    "Horvat", "Petrov", "Schmidt", "Weber", "Dubois", "Moreau", "Rossi", "Bianchi", "Garcia",
    "Fernandez", "Silva", "Santos", "Costa", "Tanaka", "Sato", "Chen", "Wang", "Kim", "Park",
    "Singh", "Patel", "Okafor", "Mensah", "Adeyemi", "Mwangi", "Haddad", "Cohen", "Jensen",
    "Larsen", "Lindqvist", "Virtanen", "Nowak", "Kovacs", "Popescu", "Georgiou", "Yilmaz",
    "Demir", "Fitzgerald", "Harper", "Whitaker", "Castellano", "Okonkwo", "Rahman", "Mercer",
    "Sutherland", "Blackwood", "Quinn", "Byrne", "Osei", "Karimi", "Nguyen", "Torres",
    "Vargas", "Keller", "Brandt", "Eriksen", "Moretti", "Conti", "MacLeod",
)  # fmt: skip

COUNTRIES = (
    "France", "Germany", "Brazil", "Kenya", "Japan", "Canada", "Norway", "Italy", "Spain",
    "Portugal", "Egypt", "India", "Mexico", "Chile", "Peru", "Poland", "Sweden", "Finland",
    "Ghana", "Nigeria", "Turkey", "Greece", "Ireland", "Austria", "Vietnam", "Indonesia",
    "Argentina", "Morocco", "Denmark", "Belgium", "New Zealand", "South Korea", "Norland",
    "Valdoria", "Estmark", "Karesh", "Tuvara", "Solvenia", "Marovia", "Aldmere",
)  # fmt: skip

NATIONALITIES = (
    "French", "German", "Brazilian", "Kenyan", "Japanese", "Canadian", "Norwegian", "Italian",
    "Spanish", "Portuguese", "Egyptian", "Indian", "Mexican", "Chilean", "Polish", "Swedish",
    "Finnish", "Ghanaian", "Nigerian", "Turkish", "Greek", "Irish", "Austrian", "Danish",
    "Belgian", "Dutch", "Swiss", "Australian", "Norlander", "Valdorian", "Estmarkian",
    "Tuvaran",
)  # fmt: skip

CITIES = (
    "Lisbon", "Nairobi", "Oslo", "Lima", "Accra", "Hanoi", "Dublin", "Vienna", "Athens",
    "Warsaw", "Madrid", "Cairo", "Santiago", "Helsinki", "Lagos", "Istanbul", "Copenhagen",
    "Brussels", "Montreal", "Osaka", "Porto", "Seville", "Krakow", "Gothenburg", "Rotterdam",
    "Marseille", "Turin", "Valparaiso", "Mombasa", "Da Nang", "Eastfield", "Kingsmoor",
    "Dunhaven", "Rivermouth", "Castelverde", "Bergholm", "Havnstad", "Lindenfeld", "Marbury",
    "Ravensby",
)  # fmt: skip
"""Real and invented cities."""

TOWNS = (
    "Ashby", "Westbrook", "Millbrook", "Saltmarsh", "Thornbury", "Bramwell", "Oakridge",
    "Fairhaven", "Glenmore", "Redcliff", "Stonebridge", "Brightwell", "Northam", "Nordby",
    "Ostberg", "Elmstead", "Hollowell", "Kessington", "Dunmore", "Greywater", "Linford",
    "Pembury", "Sandmoor", "Tillbrook", "Wexham", "Carrow", "Auderne", "Valmont", "Halloway",
    "Montclair", "Harrowgate", "Brackley",
)  # fmt: skip
"""Invented towns; also used to build team, company and university names."""

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

NUMBER_WORDS = ("two", "three", "four", "five", "six")

RELATIVES = (
    "sister", "brother", "mother", "father", "partner", "daughter", "son", "colleague",
    "neighbour", "best friend", "wife", "husband", "uncle", "aunt",
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Sentiment: review domains.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Aspect:
    """Something a review can praise or criticise.

    Attributes:
        noun: the noun phrase, lower case ("the battery").
        plural: whether the noun phrase takes a plural verb.
        good: verb phrases that praise it ("lasts two full days").
        bad: verb phrases that criticise it.
        adjectives: whether generic adjectives ("excellent", "awful"), negated complements
            ("never a problem") and first-person frames ("I loved ...") suit it.
    """

    noun: str
    plural: bool
    good: tuple[str, ...]
    bad: tuple[str, ...]
    adjectives: bool = True


@dataclass(frozen=True)
class _Domain:
    """A kind of thing being reviewed.

    Attributes:
        key: short name.
        past: whether reviews describe it in the past tense (an experience, not an object).
        things: nouns for "this {thing}".
        names: proper names (with "the" where English needs it).
        contexts: neutral opening sentences (slots: thing, name, relative, month, day, city,
            numw).
        closers: neutral closing sentences.
        aspects: what a review can praise or criticise.
        whole_good: verb phrases praising the whole thing ("this kettle ...").
        whole_bad: verb phrases criticising the whole thing.
        verdict_good: domain-specific positive verdict sentences.
        verdict_bad: domain-specific negative verdict sentences.
        minor: small complaints for otherwise positive reviews ("the box was too big").
    """

    key: str
    past: bool
    things: tuple[str, ...]
    names: tuple[str, ...]
    contexts: tuple[str, ...]
    closers: tuple[str, ...]
    aspects: tuple[_Aspect, ...]
    whole_good: tuple[str, ...]
    whole_bad: tuple[str, ...]
    verdict_good: tuple[str, ...]
    verdict_bad: tuple[str, ...]
    minor: tuple[str, ...]


_SUPPORT = _Aspect(
    "customer support",
    False,
    (
        "replied within an hour and sorted everything out",
        "sent a replacement the very next day",
        "was patient and genuinely helpful",
    ),
    (
        "never replied to my emails",
        "kept me on hold for forty minutes",
        "just sent me a link to the manual",
    ),
)

GADGETS = _Domain(
    key="gadget",
    past=False,
    things=("phone", "tablet", "laptop", "smartwatch", "e-reader", "camera", "fitness tracker"),
    names=(
        "the Vireo X2",
        "the Norda Tab 8",
        "the Kestrel Pro",
        "the Lumio 5",
        "the Arcline S",
        "the Pebblestone Air",
        "the Tarn Mini",
        "the Quill 3",
        "the Heron Note",
        "the Ostra Max",
        "the Fenwick One",
        "the Solace 12",
        "the Brio Lite",
        "the Calder Edge",
        "the Maren 4",
        "the Zephra Go",
    ),
    contexts=(
        "I bought this {thing} in {month} to replace my old one.",
        "My {relative} gave me {name} for my birthday.",
        "I have been using {name} every day for about {numw} weeks.",
        "I picked up this {thing} in a sale while visiting {city}.",
        "My old {thing} finally broke, so I ordered this one.",
        "I mainly needed a {thing} for work and the occasional video call.",
        "I ordered {name} online, and it arrived on a {day}.",
        "I compared three models before settling on {name}.",
    ),
    closers=(
        "I mostly use it at home.",
        "I bought the black version.",
        "It came with a short cable and a quick-start guide.",
        "I use it alongside an older laptop.",
    ),
    aspects=(
        _Aspect(
            "the battery",
            False,
            (
                "lasts two full days on a single charge",
                "charges from empty in under an hour",
                "easily gets me through a long day",
            ),
            (
                "died after two days",
                "barely lasts until lunchtime",
                "drains overnight even when I am not using it",
            ),
        ),
        _Aspect(
            "the screen",
            False,
            (
                "is bright enough to read in full sunshine",
                "looks sharp and colourful",
                "has not picked up a single scratch",
            ),
            (
                "scratched within a week",
                "has a dead pixel right in the middle",
                "is too dim to read outdoors",
            ),
        ),
        _Aspect(
            "the build quality",
            False,
            ("feels solid and premium", "has survived several drops without a mark"),
            ("feels cheap and hollow", "started creaking after a month"),
        ),
        _Aspect(
            "the setup",
            False,
            ("took less than five minutes", "was refreshingly simple"),
            ("took most of an afternoon", "kept failing at the last step"),
            adjectives=False,
        ),
        _SUPPORT,
        _Aspect(
            "the software",
            False,
            ("is fast and free of clutter", "gets regular updates"),
            ("crashes several times a day", "is full of apps I never asked for"),
        ),
        _Aspect(
            "the charger",
            False,
            ("is small and charges quickly",),
            ("stopped working within a month", "gets alarmingly hot"),
        ),
        _Aspect(
            "the camera",
            False,
            ("takes sharp photos even in dim light",),
            ("produces grainy, washed-out photos",),
        ),
    ),
    whole_good=(
        "works exactly as described",
        "does everything I need and more",
        "has been a pleasure to use",
        "was worth every penny",
        "has made my daily routine easier",
        "feels like it cost twice as much",
    ),
    whole_bad=(
        "stopped working after a week",
        "was a waste of money",
        "freezes every time I open the camera",
        "is slower than the model it replaced",
        "arrived with a cracked corner",
        "has been nothing but trouble",
    ),
    verdict_good=("I would buy it again tomorrow.", "It has earned its place in my bag."),
    verdict_bad=("It is going back to the shop.", "I would not buy this brand again."),
    minor=(
        "the box was bigger than it needed to be",
        "it only comes in two colours",
        "the manual is a bit thin",
    ),
)

AUDIO = _Domain(
    key="audio",
    past=False,
    things=("pair of headphones", "speaker", "pair of earbuds", "soundbar", "radio"),
    names=(
        "the Echoline 300",
        "the Driftwood Buds",
        "the Basswell Mini",
        "the Tonal 2",
        "the Crestwave",
        "the Murmur Pro",
        "the Sonder Go",
        "the Halyard 7",
        "the Resona Arc",
        "the Wren Pods",
        "the Loomis 40",
        "the Cadence Air",
    ),
    contexts=(
        "I bought this {thing} for the gym and long train journeys.",
        "My {relative} recommended {name}, so I ordered a pair in {month}.",
        "I have owned {name} for about {numw} months now.",
        "I needed a {thing} for a small flat, nothing fancy.",
        "I listen mostly to podcasts and some jazz.",
        "This {thing} replaced a cheap one that broke last winter.",
        "I ordered {name} on a {day} and had it two days later.",
    ),
    closers=(
        "I mostly listen at home in the evenings.",
        "I went for the grey colour.",
        "I connect it to a laptop and an older phone.",
    ),
    aspects=(
        _Aspect(
            "the sound",
            False,
            ("is rich and clear at any volume", "fills the whole room"),
            ("distorts as soon as you turn it up", "is thin and tinny"),
        ),
        _Aspect(
            "the bass",
            False,
            ("is deep without drowning everything else",),
            ("is muddy and overpowering", "is almost non-existent"),
        ),
        _Aspect(
            "the Bluetooth connection",
            False,
            ("has never dropped once", "pairs instantly with every device I own"),
            ("drops every few minutes", "refuses to pair with my laptop"),
        ),
        _Aspect(
            "the ear cushions",
            True,
            ("are soft and stay comfortable for hours",),
            ("started peeling after a month", "make my ears ache within an hour"),
        ),
        _Aspect(
            "the noise cancelling",
            False,
            ("blocks out the train completely", "makes open-plan offices bearable"),
            ("barely makes a difference", "leaves a strange hiss in quiet rooms"),
        ),
        _Aspect(
            "the battery",
            False,
            ("lasts a whole week of commuting",),
            ("runs flat after a couple of hours",),
        ),
        _SUPPORT,
    ),
    whole_good=(
        "sounds far better than its price suggests",
        "has become my favourite thing in the house",
        "is comfortable enough to forget I am wearing it",
        "was worth every penny",
    ),
    whole_bad=(
        "broke the second time I used it",
        "sounds worse than my old phone speaker",
        "crackles whenever the volume goes above half",
        "was a waste of money",
    ),
    verdict_good=("I would happily buy a second one.",),
    verdict_bad=("Mine is already back in its box.",),
    minor=("the carry case is a bit bulky", "the cable is rather short"),
)

HOME = _Domain(
    key="home",
    past=False,
    things=(
        "kettle",
        "blender",
        "vacuum cleaner",
        "coffee machine",
        "toaster",
        "air fryer",
        "food processor",
        "stand mixer",
    ),
    names=(
        "the Brewmaster 2",
        "the Kitchara Blend",
        "the Hearthly 4",
        "the Swiftclean V9",
        "the Domo Fry XL",
        "the Glint Mix",
        "the Copperfield Classic",
        "the Auro Kettle",
        "the Mistral 600",
        "the Tidy Bot",
        "the Crumb 2",
        "the Pantry Pro",
    ),
    contexts=(
        "I bought this {thing} when we moved into a new flat in {month}.",
        "Our old {thing} finally broke after ten years.",
        "My {relative} gave us {name} as a housewarming present.",
        "I chose {name} mainly because of the price.",
        "We use the {thing} several times a day in a busy family kitchen.",
        "I ordered {name} on a {day} and it came the next morning.",
    ),
    closers=(
        "We have a fairly small kitchen.",
        "I bought the white version.",
        "It came with two spare filters.",
    ),
    aspects=(
        _Aspect(
            "the motor",
            False,
            ("is powerful enough for frozen fruit", "is still going strong after a year"),
            ("burnt out after a month", "smells of hot plastic every time"),
        ),
        _Aspect(
            "the lid",
            False,
            ("seals tightly",),
            ("leaks every single time", "cracked in the first week"),
        ),
        _Aspect(
            "cleaning it",
            False,
            ("takes a few seconds under the tap",),
            ("is a nightmare", "takes longer than using it"),
            adjectives=False,
        ),
        _Aspect(
            "the controls",
            True,
            ("are simple and clearly labelled",),
            ("are confusing and badly labelled", "stopped responding after a month"),
        ),
        _Aspect(
            "the instructions",
            True,
            ("are short and easy to follow",),
            ("are impossible to follow", "are missing half the steps"),
        ),
        _Aspect(
            "the warranty",
            False,
            ("covered a replacement part without any fuss",),
            ("turned out to be worthless",),
        ),
        _Aspect(
            "the noise",
            False,
            ("is surprisingly low",),
            ("is unbearable, even with the kitchen door shut",),
            adjectives=False,
        ),
    ),
    whole_good=(
        "has made mornings much easier",
        "works perfectly and looks good on the counter",
        "does the job quickly and quietly",
        "was worth every penny",
    ),
    whole_bad=(
        "tripped the fuse twice in the first week",
        "leaks all over the counter",
        "stopped heating after three weeks",
        "was a waste of money",
    ),
    verdict_good=("Our kitchen would not be the same without it.",),
    verdict_bad=("It is going straight back to the shop.",),
    minor=("the cable could be longer", "the box was badly dented when it arrived"),
)

FILMS = _Domain(
    key="film",
    past=True,
    things=("film", "movie", "documentary", "thriller", "comedy", "drama"),
    names=(
        "The Glass Harbour",
        "Midnight on Ferrow Lane",
        "A Quiet Country",
        "The Salt Road",
        "Northern Lights Over Vell",
        "Paper Crowns",
        "The Last Lighthouse Keeper",
        "Seven Small Rooms",
        "Blue Hour",
        "The Orchard Thief",
        "Wolves of Caldermoor",
        "Second Spring",
        "The Tin Astronomer",
        "Low Tide",
        "Winter at Brennock",
        "The Cartographer's Daughter",
    ),
    contexts=(
        "I watched {name} at the cinema in {city} on a {day} night.",
        "We streamed {name} last weekend after a friend recommended it.",
        "I went in knowing nothing about {name} except the poster.",
        "My {relative} and I saw it on opening night.",
        "I saw {name} at a small film festival in {city}.",
        "It was the only thing showing at the local cinema that evening.",
        "I had read the book before seeing the {thing}.",
    ),
    closers=(
        "We saw the late showing.",
        "It runs for just under two hours.",
        "I watched it with subtitles.",
        "It is also available to rent online.",
    ),
    aspects=(
        _Aspect(
            "the plot",
            False,
            ("kept me guessing until the very end", "was clever without being confusing"),
            ("made no sense at all", "was predictable from the first scene"),
        ),
        _Aspect(
            "the acting",
            False,
            ("was superb across the board",),
            ("felt wooden and forced",),
        ),
        _Aspect(
            "the lead actor",
            False,
            ("gave the performance of a lifetime", "carried every scene"),
            ("seemed bored in every scene", "mumbled through most of the lines"),
            adjectives=False,
        ),
        _Aspect(
            "the soundtrack",
            False,
            ("gave me goosebumps",),
            ("drowned out half the dialogue",),
        ),
        _Aspect(
            "the ending",
            False,
            ("left me in tears, in the best possible way", "tied everything together"),
            ("fell completely flat", "was rushed and confusing"),
        ),
        _Aspect(
            "the dialogue",
            False,
            ("was sharp and often very funny",),
            ("was clumsy and full of cliches",),
        ),
        _Aspect(
            "the pacing",
            False,
            ("never let up",),
            ("dragged terribly in the middle",),
        ),
        _Aspect(
            "the special effects",
            True,
            ("looked stunning on the big screen",),
            ("looked cheap and dated",),
        ),
    ),
    whole_good=(
        "kept me gripped for the full two hours",
        "is the best thing I have seen all year",
        "made me laugh and cry in the same scene",
        "was worth the ticket price twice over",
    ),
    whole_bad=(
        "dragged on for far too long",
        "felt like a two-hour advert",
        "put half the audience to sleep",
        "was a chore to sit through",
    ),
    verdict_good=("Go and see it on the big screen.", "I would watch it again tomorrow."),
    verdict_bad=("Skip it.", "I nearly walked out halfway through."),
    minor=("the opening credits go on a bit", "one subplot goes nowhere"),
)

BOOKS = _Domain(
    key="book",
    past=True,
    things=("novel", "book", "memoir", "thriller", "short story collection"),
    names=(
        "The Weight of Rivers",
        "Ash and Iron",
        "The Lantern House",
        "Letters from Osterby",
        "A Map of Small Things",
        "The Ninth Winter",
        "Salt in the Wound",
        "The Patient Garden",
        "Under the Clocktower",
        "Bright Fields",
        "The Ferryman's Year",
        "Stone Songs",
        "Glass Birds",
        "The Long Way to Ardel",
        "Quiet Water",
        "The Beekeeper of Lorn",
    ),
    contexts=(
        "I read {name} over two weeks on my commute.",
        "This was our book club pick for {month}.",
        "I picked up {name} at an airport bookshop.",
        "I had read the author's previous novel before this one.",
        "A colleague lent me her copy of {name}.",
        "I listened to the audiobook of {name} on long drives.",
        "My {relative} gave me this {thing} for my birthday.",
    ),
    closers=(
        "I read the paperback edition.",
        "It is a little over three hundred pages long.",
        "I read most of it on holiday.",
    ),
    aspects=(
        _Aspect(
            "the writing",
            False,
            ("was elegant without ever showing off", "flowed beautifully"),
            ("was clumsy and repetitive", "was so overwrought I kept rereading sentences"),
        ),
        _Aspect(
            "the characters",
            True,
            ("felt like real people", "stayed with me long after the last page"),
            ("were flat and forgettable", "all sounded exactly the same"),
        ),
        _Aspect(
            "the plot",
            False,
            ("kept me turning the pages",),
            ("went nowhere for two hundred pages",),
        ),
        _Aspect(
            "the ending",
            False,
            ("was perfect",),
            ("felt rushed and unearned", "just stopped mid-scene"),
        ),
        _Aspect(
            "the middle section",
            False,
            ("flew by",),
            ("dragged terribly",),
        ),
        _Aspect(
            "the translation",
            False,
            ("read beautifully",),
            ("was stiff and full of odd phrases",),
        ),
    ),
    whole_good=(
        "kept me up until two in the morning",
        "is one I will read again",
        "stayed with me for weeks",
        "deserves every prize it has won",
    ),
    whole_bad=(
        "was a slog from start to finish",
        "felt twice as long as it was",
        "never came together",
        "was a struggle to finish",
    ),
    verdict_good=("I could not put it down.", "I have already bought copies for two friends."),
    verdict_bad=("I gave up halfway through.", "It went straight to the charity shop."),
    minor=("the cover is rather plain", "the map at the front is hard to read"),
)

RESTAURANTS = _Domain(
    key="restaurant",
    past=True,
    things=("restaurant", "place"),
    names=(
        "The Copper Pot",
        "Casa Lumi",
        "Saffron Table",
        "The Hungry Heron",
        "Bistro Maren",
        "Olive and Ember",
        "The Green Ladle",
        "Noodle House Kiri",
        "Harbour Kitchen",
        "The Crooked Spoon",
        "Trattoria Vela",
        "The Larder",
        "Mango Street Cafe",
        "Pepper and Pine",
        "The Fig Tree",
        "Luna Grill",
    ),
    contexts=(
        "We had dinner at {name} on a {day} evening.",
        "I booked a table at {name} for my {relative}'s birthday.",
        "We stopped at {name} for lunch while visiting {city}.",
        "It was our first visit to {name}, a small place near the station.",
        "A friend recommended {name}, so we went on a {day}.",
        "We were a group of {numw} and had booked ahead.",
        "We walked past this {thing} for years before finally trying it.",
    ),
    closers=(
        "We paid by card.",
        "There is parking around the corner.",
        "We went on a {day}.",
        "They also do takeaway.",
    ),
    aspects=(
        _Aspect(
            "the food",
            False,
            ("was fresh and full of flavour", "came out hot and beautifully presented"),
            ("arrived cold and bland", "tasted like it had been microwaved"),
        ),
        _Aspect(
            "the service",
            False,
            ("was warm and attentive", "was quick without ever feeling rushed"),
            ("was painfully slow", "was careless and forgetful"),
        ),
        _Aspect(
            "the staff",
            True,
            ("were friendly and knew the menu inside out",),
            ("were rude and clearly did not want to be there",),
        ),
        _Aspect(
            "the portions",
            True,
            ("were generous",),
            ("were tiny for the price",),
        ),
        _Aspect(
            "the pasta",
            False,
            ("was cooked perfectly",),
            ("was overcooked and swimming in oil",),
        ),
        _Aspect(
            "the dessert",
            False,
            ("was the highlight of the evening",),
            ("was clearly from a supermarket freezer",),
        ),
        _Aspect(
            "the wait for a table",
            False,
            ("was short, even on a busy night",),
            ("was over an hour despite our booking",),
            adjectives=False,
        ),
        _Aspect(
            "the prices",
            True,
            ("were fair for the quality",),
            ("were outrageous",),
            adjectives=False,
        ),
    ),
    whole_good=(
        "is now our favourite place in town",
        "deserves every bit of its reputation",
        "got every little detail right",
        "was worth every penny",
    ),
    whole_bad=(
        "got our order wrong twice",
        "has gone badly downhill",
        "charged us for drinks we never ordered",
        "was a waste of money",
    ),
    verdict_good=("We will definitely be back.", "Book ahead, because it fills up fast."),
    verdict_bad=("We will not be going back.", "We left hungry and annoyed."),
    minor=("the music was a little loud", "the menu is quite short"),
)

HOTELS = _Domain(
    key="hotel",
    past=True,
    things=("hotel", "place"),
    names=(
        "the Harbourview Hotel",
        "the Linden Inn",
        "the Grand Meridian",
        "Hotel Solvei",
        "the Old Mill Guesthouse",
        "the Seaward Lodge",
        "the Alder Court Hotel",
        "Casa Brisa",
        "the Kingsgate",
        "the Blue Heron Inn",
        "the Palisade",
        "the Wrenfield Hotel",
        "the Cliffside Resort",
        "the Ivory Gate",
        "the Mirren Lodge",
        "the Tidewater",
    ),
    contexts=(
        "We stayed at {name} for {numw} nights in {month}.",
        "I booked {name} for a work trip to {city}.",
        "We chose {name} because it was close to the old town.",
        "We arrived at {name} late on a {day} night.",
        "It was our anniversary, so we booked a room with a view.",
        "My {relative} and I stopped here on the way to {city}.",
    ),
    closers=(
        "We booked through the hotel website.",
        "Check-in is from three in the afternoon.",
        "We travelled with two children.",
        "We had a room on the second floor.",
    ),
    aspects=(
        _Aspect(
            "the room",
            False,
            ("was spotless and spacious", "had a wonderful view over the harbour"),
            ("smelled of damp", "was half the size shown in the photos"),
        ),
        _Aspect(
            "the bed",
            False,
            ("was incredibly comfortable",),
            ("was lumpy and far too soft", "creaked every time we moved"),
        ),
        _Aspect(
            "breakfast",
            False,
            ("was excellent, with plenty of choice",),
            ("was stale and ran out by eight",),
        ),
        _Aspect(
            "the staff",
            True,
            ("went out of their way to help us", "remembered our names from the first day"),
            ("were rude at check-in", "ignored every request we made"),
        ),
        _Aspect(
            "the location",
            False,
            ("was perfect for exploring the old town",),
            ("was miles from anything",),
        ),
        _Aspect(
            "the bathroom",
            False,
            ("was modern and spotless",),
            ("had mould around the shower",),
        ),
        _Aspect(
            "the wifi",
            False,
            ("was fast in every corner of the building",),
            ("barely worked",),
        ),
        _Aspect(
            "the walls",
            True,
            ("were thick enough that we never heard our neighbours",),
            ("were so thin that we heard every word next door",),
            adjectives=False,
        ),
    ),
    whole_good=(
        "made our trip",
        "exceeded every expectation we had",
        "felt like a home away from home",
        "was worth every penny",
    ),
    whole_bad=(
        "looked nothing like the photos",
        "lost our booking and then tried to charge us twice",
        "needs a complete renovation",
        "was a waste of money",
    ),
    verdict_good=("We would happily stay again.", "We have already booked for next year."),
    verdict_bad=("We will not be staying here again.", "We checked out a day early."),
    minor=("the lift was a bit slow", "parking costs extra"),
)

APPS = _Domain(
    key="app",
    past=False,
    things=(
        "app",
        "budgeting app",
        "language app",
        "photo editor",
        "fitness app",
        "weather app",
        "note-taking app",
    ),
    names=(
        "Tally",
        "Lingofox",
        "Pixelry",
        "StrideUp",
        "Cloudnote",
        "Budgetbird",
        "Skyglass",
        "Habitly",
        "Wordmill",
        "Pocketplan",
        "Snapforge",
        "Runway Fit",
        "Quillnote",
        "Coinjar",
        "Mapletrack",
        "Brightday",
    ),
    contexts=(
        "I downloaded {name} after seeing an advert for it.",
        "I have been using {name} for about {numw} months.",
        "I switched to {name} from another app in {month}.",
        "My {relative} suggested I try {name}.",
        "I use {name} on both my phone and my tablet.",
        "I needed a simple {thing} and this one had the most downloads.",
    ),
    closers=(
        "I am on the free plan.",
        "I use it on an older phone.",
        "I mostly use it in the mornings.",
    ),
    aspects=(
        _Aspect(
            "the interface",
            False,
            ("is clean and easy to find your way around",),
            ("is cluttered and confusing",),
        ),
        _Aspect(
            "the latest update",
            False,
            ("fixed every problem I had",),
            ("broke half the features",),
        ),
        _Aspect(
            "syncing",
            False,
            ("works instantly across my devices",),
            ("fails at least once a day",),
            adjectives=False,
        ),
        _Aspect(
            "the adverts",
            True,
            ("are rare and easy to skip",),
            ("pop up every thirty seconds",),
            adjectives=False,
        ),
        _Aspect(
            "the subscription",
            False,
            ("is fairly priced for what you get",),
            ("is almost impossible to cancel",),
            adjectives=False,
        ),
        _Aspect(
            "the notifications",
            True,
            ("are helpful without being annoying",),
            ("never stop, even after I turned them off",),
        ),
        _Aspect(
            "the free version",
            False,
            ("has everything most people need",),
            ("is almost useless",),
        ),
        _SUPPORT,
    ),
    whole_good=(
        "has completely changed how I plan my week",
        "runs smoothly even on my old phone",
        "is the one app I open every day",
        "was worth every penny",
    ),
    whole_bad=(
        "crashes every time I open it",
        "drains my battery in a few hours",
        "deleted all my notes after an update",
        "was a waste of money",
    ),
    verdict_good=("It has earned a permanent place on my home screen.",),
    verdict_bad=("Uninstalled after a week.", "I have already cancelled my subscription."),
    minor=("the icon is a bit ugly", "dark mode is missing"),
)

DOMAINS: tuple[_Domain, ...] = (GADGETS, AUDIO, HOME, FILMS, BOOKS, RESTAURANTS, HOTELS, APPS)
"""All review domains, drawn with equal probability."""

# ---------------------------------------------------------------------------------------------
# Sentiment: clause material shared by all domains.
# ---------------------------------------------------------------------------------------------

GOOD_ADJECTIVES = (
    "great", "excellent", "superb", "fantastic", "impressive", "brilliant", "first-rate",
    "outstanding", "wonderful", "lovely",
)  # fmt: skip

BAD_ADJECTIVES = (
    "terrible", "awful", "poor", "dreadful", "disappointing", "mediocre", "shoddy", "abysmal",
    "bad", "a letdown",
)  # fmt: skip

INTENSIFIERS = ("", "", "", "really ", "truly ", "just ")

NEGATED_BAD = (
    "not bad at all",
    "never a problem",
    "not disappointing in the slightest",
    "far from disappointing",
    "never an issue",
    "not a letdown at all",
    "nothing to complain about",
)
"""Copula complements that negate something bad and so read as positive."""

NEGATED_GOOD = (
    "not good enough",
    "not worth the money",
    "hardly impressive",
    "nothing special",
    "not great, to be honest",
    "never quite right",
    "far from perfect",
    "hardly worth the hype",
    "not what I was promised",
)
"""Copula complements that negate something good and so read as negative."""

I_GOOD = (
    "I loved {a}",
    "I was impressed by {a}",
    "I have no complaints about {a}",
    "I could not fault {a}",
    "I have nothing bad to say about {a}",
    "I was never disappointed by {a}",
    "I did not expect to like {a} this much",
)
"""First-person praise of an aspect ``{a}``."""

I_BAD = (
    "I hated {a}",
    "I was let down by {a}",
    "I have nothing good to say about {a}",
    "I could not get past {a}",
    "I was not impressed by {a}",
    "I really disliked {a}",
    "I did not like {a} one bit",
)
"""First-person criticism of an aspect ``{a}``."""

SIMPLE_TEMPLATES = (
    "{cue}.",
    "{cue}.",
    "{cue}, and {cue}.",
    "{cue}. {cue}.",
    "Honestly, {cue}.",
    "I don't usually write reviews, but {cue}.",
    "Put simply, {cue}.",
    "First impressions: {cue}.",
    "{cue}, and to be honest, {cue}.",
    "In short, {cue}.",
    "{cue}. Also, {cue}.",
)
"""Bodies with only cues of the label's polarity."""

CONTRAST_TEMPLATES = (
    "{foil}, but {cue}.",
    "{foil}, but {cue}.",
    "{foil}. However, {cue}.",
    "Although {foil}, {cue}.",
    "{foil}, yet {cue}.",
    "Sure, {foil}, but {cue}.",
    "{foil}. That said, {cue}.",
    "While {foil}, {cue}.",
    "I will admit that {foil}. Even so, {cue}.",
    "{foil}. On the other hand, {cue}, and that matters far more.",
    "{foil}, but overall {whole}.",
    "{foil}. Overall, though, {whole}.",
    "{foil}. Still, {cue}.",
    "{cue}, even though {foil}.",
    "{cue}, despite the fact that {foil}.",
    "{cue}. Yes, {foil}, but that hardly matters.",
)
"""Bodies that mix a ``{foil}`` of the opposite polarity with the deciding ``{cue}``."""

LABEL_TEMPLATES: dict[str, tuple[str, ...]] = {
    "positive": (
        "I expected to be disappointed, but {cue}.",
        "I nearly gave up on {subj} early on, but {cue}.",
        "I was sceptical at first, but {subj} won me over.",
        "My only complaint is that {minor}, and that is hardly a big deal.",
        "Not bad at all. {cue}.",
        "I have never once been disappointed by {subj}.",
        "People complained about {aspect}, but I had no problems at all.",
        "Far better than I expected: {cue}.",
        "I went in with low expectations, and {cue}.",
        "I can't find a single thing to complain about.",
        "I was worried after reading some bad reviews, but {cue}.",
        "It is not perfect, but {cue}, and {cue}.",
        "I hate writing reviews, but {cue}.",
        "There was nothing wrong with {subj}, and {cue}.",
    ),
    "negative": (
        "I really wanted to love {subj}, but {cue}.",
        "I had high hopes for {subj}. Sadly, {cue}.",
        "On paper {subj} sounds great, but {cue}.",
        "Everyone raved about {subj}, but I honestly don't see why.",
        "The only good thing about {subj} was {aspect}.",
        "{subj} is hardly worth the money.",
        "It looked great in the pictures. In reality, {cue}.",
        "I don't usually complain, but {cue}.",
        "I gave {subj} a fair chance, but {cue}.",
        "For the price, I expected much better. {cue}.",
        "Not terrible, but nowhere near good: {cue}.",
        "I loved the idea of {subj}, but {cue}.",
        "It started well enough, but {cue}.",
        "I wish I could say something nice, but {cue}.",
    ),
}
"""Bodies whose framing only suits one label; ``{cue}`` has the label's polarity."""

VERDICTS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Highly recommended.",
        "I would recommend it to anyone.",
        "Worth every penny.",
        "No regrets at all.",
        "Not bad at all.",
        "I was never disappointed.",
        "Five stars from me.",
        "I can't fault it.",
        "I'm glad I gave it a chance.",
        "It did not disappoint.",
        "Nothing to complain about.",
        "A real pleasure from start to finish.",
    ),
    "negative": (
        "I would not recommend it.",
        "Avoid.",
        "Not worth the money.",
        "Hardly worth it.",
        "I regret it.",
        "Never again.",
        "One star, and that is generous.",
        "I'm sorry I gave it a chance.",
        "Thoroughly disappointing.",
        "I want my money back.",
        "Save your money.",
        "It did not live up to the hype.",
    ),
}
"""Closing verdicts that are not tied to a domain."""

GENERIC_CLOSERS = (
    "Just my two cents.",
    "Your experience may differ.",
    "That is all I have to say.",
    "Make of that what you will.",
    "I may update this review later.",
    "I hope this helps someone.",
)
"""Neutral closing sentences for any domain."""

CLAUSE_WEIGHTS: dict[str, int] = {"pred": 38, "adj": 16, "negated": 20, "whole": 14, "i": 12}
"""Relative frequency of each kind of cue clause."""

BODY_WEIGHTS: dict[str, int] = {"simple": 42, "contrast": 30, "label": 28}
"""Relative frequency of each kind of review body."""

CONTEXT_RATE = 0.45
"""Probability that a review opens with a neutral context sentence."""

VERDICT_RATE = 0.35
"""Probability that a review ends with a verdict."""

CLOSER_RATE = 0.15
"""Probability that a review ends with a neutral closing sentence."""

# ---------------------------------------------------------------------------------------------
# Topic: news templates.
# ---------------------------------------------------------------------------------------------

COMPANIES = (
    "Northwind Holdings", "Corvex", "Meridian Foods", "Halden Energy", "Brightline Rail",
    "Ostra Bank", "Velta Motors", "Quarry Hill Group", "Sundial Pharma", "Arkwright Steel",
    "Bluefield Telecom", "Kestrel Airways", "Lumen Retail", "Pinecrest Insurance", "Tamsin Labs",
    "Varro Logistics", "Greyhaven Capital", "Orchard Home Stores", "Solano Foods", "Ironbridge",
    "Caspian Shipping", "Nimbus Software", "Redwater Mining", "Altamira Textiles",
)  # fmt: skip
"""Invented companies."""

TEAM_SUFFIXES = ("United", "Rovers", "Athletic", "City", "Wanderers", "Town", "Albion")

DISTANCES = (
    "100 metres", "400 metres hurdles", "long jump", "pole vault", "1,500 metres",
    "women's 200 metres", "men's 800 metres", "triple jump",
)  # fmt: skip

HEADLINES: dict[str, tuple[str, ...]] = {
    "world": (
        "politics|Voters in {country} head to the polls in a tight election race.",
        "politics|{nat} parliament approves controversial border law.",
        "politics|Opposition leader {per#a} arrested in {city}.",
        "politics|Court jails former minister {per#a} for corruption.",
        "politics|Record turnout as {country} elects a new president.",
        "politics|President of {country} survives vote of no confidence.",
        "politics|Minister {per#a} resigns over leaked recordings.",
        "politics|Opposition wins control of the capital in local elections.",
        "politics|{country} launches inquiry into deaths in custody.",
        "diplomacy|{country} and {country} sign trade deal after months of talks.",
        "diplomacy|Peace talks between {country} and {country} resume in {city}.",
        "diplomacy|{country} recalls its ambassador from {country}.",
        "diplomacy|{country} asks to join the regional club of trading nations.",
        "diplomacy|World leaders gather in {city} for climate summit.",
        "diplomacy|Foreign ministers meet in {city} to discuss refugee crisis.",
        "diplomacy|Hostages freed after secret talks in {city}.",
        "diplomacy|Climate deal in doubt as talks in {city} stall.",
        "diplomacy|{country} expels {num} diplomats over spying claims.",
        "diplomacy|Trade ministers fail to agree on tariffs at {city} summit.",
        "diplomacy|{country} and {country} agree to share water from a disputed river.",
        "diplomacy|{nat} troops pull out of the border region after deal.",
        "diplomacy|Ceasefire holds in {city} as aid convoys arrive.",
        "disaster|Floods force thousands from their homes in {country}.",
        "disaster|Earthquake of magnitude {mag} strikes off the coast of {country}.",
        "disaster|Stadium crush: {country} declares three days of mourning.",
        "disaster|Wildfires spread near {city} as heatwave grips {country}.",
        "disaster|Thousands evacuated as volcano erupts near {city}.",
        "disaster|Navy rescues {num} people from sinking ferry off {country}.",
        "disaster|Government orders inquiry after stadium roof collapses in {city}.",
        "unrest|Protesters fill the streets of {city} for a third night.",
        "unrest|Thousands march in {city} against rising fuel prices.",
        "unrest|Curfew imposed in {city} after a night of unrest.",
        "unrest|Strike by border guards leaves lorries stranded near {city}.",
        "unrest|Riot police clear protest camp outside parliament in {city}.",
    ),
    "sports": (
        "football|{team} beat {team} {score} to reach the cup final.",
        "football|{last#a} signs new {numw}-year contract with {team}.",
        "football|{team} sack coach after fifth straight defeat.",
        "football|{team} complete {money} transfer deal for striker {per#a}.",
        "football|Club captain {per#a} retires at {num2}.",
        "football|{team} clinch league title with two games to spare.",
        "football|{team} unveil record signing at packed stadium.",
        "football|Fans protest against {team} owners before derby.",
        "football|{team} held to {draw} draw by ten-man {team}.",
        "football|{team} fined for breaking spending rules.",
        "football|Goalkeeper {per#a} saves two penalties as {team} go through.",
        "football|Market value of {team} striker {last#a} soars after hat-trick.",
        "football|Record {money} deal makes {last#a} the world's most expensive player.",
        "football|{team} stun the champions with late winner.",
        "athletics|{per#a} breaks world record in the {distance}.",
        "football|President greets {country} team after historic win.",
        "athletics|{nat} sprinter {per#a} takes gold in {city}.",
        "athletics|{per#a} wins {city} marathon in a course record.",
        "athletics|{country} name squad for the world championships.",
        "athletics|{country} win the relay in a championship record.",
        "athletics|Cyclist {per#a} takes the leader's jersey on the mountain stage.",
        "athletics|{nat} swimmers dominate on the opening night in {city}.",
        "athletics|{city} launches bid to host the next Games.",
        "athletics|Doping ban for {nat} cyclist {per#a} upheld by court.",
        "tennis|{per#a} into the semi-finals after straight-sets win.",
        "tennis|{per#a} wins a third title in {city}.",
        "tennis|Teenager {per#a} knocks out the defending champion.",
        "tennis|{last#a} launches comeback at the age of {num2}.",
        "cricket|Rain delays final day of the third test in {city}.",
        "cricket|{country} collapse on the opening day of the series.",
        "cricket|Record partnership rescues {country} in {city}.",
        "{last#a} out for the season with knee injury.",
    ),
    "business": (
        "company|{company} shares jump {pct} percent after record profits.",
        "company|{company} agrees {money} takeover of a smaller rival.",
        "company|{company} to cut {num} jobs as sales slump.",
        "company|{company} launches its first electric delivery van.",
        "company|Workers at {company} go on strike over pay.",
        "company|{company} boss {per#a} steps down.",
        "company|{company} opens factory in {city}, creating {num} jobs.",
        "company|{company} and {company} in merger talks.",
        "company|{company} wins {money} deal to build rail line in {country}.",
        "company|Regulators fine {company} {money} over misleading adverts.",
        "company|{company} hit by {money} fine over safety failings.",
        "company|Football club owner {company} reports heavy losses.",
        "company|Shares in drug maker {town} Pharma soar after trial success.",
        "company|{company} signs {money} sponsorship deal with {team}.",
        "company|Sanctions on {country} hit profits at {company}.",
        "company|Drug maker {town} Pharma wins approval for new vaccine.",
        "company|{company} invests {money} in battery research.",
        "company|{town} Airways flies a record number of passengers.",
        "company|Supermarket price war hits profits at {town} Foods.",
        "economy|Central bank raises interest rates to curb inflation.",
        "economy|Oil prices fall to lowest level in {num} months.",
        "economy|{nat} economy grows faster than expected.",
        "economy|Retail sales rise for a third month in {country}.",
        "economy|Stock market closes higher as technology shares rally.",
        "economy|Housing market cools as mortgage rates climb.",
        "economy|Record trade surplus for {country} as exports boom.",
        "economy|Tourism boom lifts hotel profits in {country}.",
        "economy|Energy bills to rise again, regulator warns.",
        "economy|World's largest shipping firm warns of slowing trade.",
        "economy|Election uncertainty weighs on shares in {city}.",
    ),
    "science": (
        "space|Space agency launches probe to study the Sun.",
        "space|Astronomers spot water vapour on a distant planet.",
        "space|Rocket carrying weather satellite lifts off from {city}.",
        "space|World's largest telescope captures its first images.",
        "medicine|New antibiotic shows promise in early trials.",
        "space|Astronomers find a planet that takes {num} years to orbit its star.",
        "medicine|Study links poor sleep to heart disease.",
        "medicine|Scientists grow miniature livers in the lab.",
        "medicine|Gene therapy restores sight in trial patients.",
        "medicine|Marathon runners help scientists study how muscles age.",
        "medicine|Vaccine trial in {country} shows strong early results.",
        "medicine|Study of {num} footballers links heading the ball to memory problems.",
        "medicine|Brain scans reveal how chess players plan ahead.",
        "medicine|Researchers map every nerve cell in a fruit fly's brain.",
        "earth|Fossil find in {country} rewrites the history of early birds.",
        "earth|Record heat in {year} linked to ocean currents, study finds.",
        "earth|Ancient DNA reveals migration routes of the first farmers.",
        "earth|Coral reefs recovering faster than expected, survey finds.",
        "earth|New species of frog discovered in the rainforests of {country}.",
        "earth|Volcano under the ice is melting a glacier from below, scientists warn.",
        "earth|Ancient city mapped from the air using lasers.",
        "earth|Deep-sea robot finds life at the bottom of the world's deepest trench.",
        "earth|Satellite images show glaciers in {country} shrinking faster than thought.",
        "earth|Climate models predict wetter winters for {country}.",
        "earth|Bees can count to five, experiment suggests.",
        "lab|Physicists measure the lifetime of the neutron with new precision.",
        "lab|{univ} team builds robot that learns to walk.",
        "lab|Quantum computer sets new speed record.",
        "lab|Cheaper solar cells made from new material, researchers say.",
        "lab|Engineers test new battery that charges in minutes.",
        "lab|Mathematicians crack a century-old puzzle about prime numbers.",
    ),
}
"""Headlines that point to one topic (some borrow other topics' words), as ``theme|text``."""

BODIES: dict[str, tuple[str, ...]] = {
    "world": (
        "politics|Observers said the vote was largely peaceful, though turnout was lower than in "
        "{year}.",
        "politics|The opposition has called for fresh elections and an independent inquiry.",
        "politics|Lawyers for {last#a} said they would appeal against the verdict.",
        "politics|Results are expected on {day}, with the ruling party narrowly ahead.",
        "politics|Several ministers have resigned since the scandal broke in {month}.",
        "politics|The new law passed by {num} votes after a debate that lasted all night.",
        "politics|The president's spokesman, {per#b}, said the government would not be "
        "intimidated.",
        "diplomacy|The foreign minister, {per#b}, said the talks had been difficult but honest.",
        "diplomacy|Diplomats said a deal on prisoner exchanges could be reached within weeks.",
        "diplomacy|The agreement still has to be ratified by the parliaments of both countries.",
        "diplomacy|Leaders of {num} nations signed a joint statement at the end of the summit.",
        "diplomacy|The ministry said its embassy in {city} would stay closed until further notice.",
        "diplomacy|The two governments have argued over the border since independence.",
        "diplomacy|Neighbouring {country} has closed its border and sent troops to the area.",
        "diplomacy|Refugees have been crossing the border at a rate of about {bignum} a day.",
        "disaster|Officials said at least {num} people had died and many more were missing.",
        "disaster|Rescue teams worked through the night to reach villages cut off from the "
        "outside world.",
        "disaster|The government declared a state of emergency in three provinces on {day}.",
        "disaster|Aid agencies warned that food and clean water were running short in the camps.",
        "disaster|Relief flights carrying medical supplies landed in {city} on {day}.",
        "disaster|Scientists had warned of the danger for weeks, but many villagers refused to "
        "leave.",
        "unrest|Police used tear gas to disperse crowds outside the parliament building.",
        "unrest|Protesters blocked the entrance to the central bank, demanding new elections.",
        "unrest|The interior minister said {num} people had been detained after clashes near the "
        "stadium.",
        "unrest|Organisers said the demonstrations would go on until the government resigned.",
        "The prime minister is expected to address the nation on {day} evening.",
        "The United Nations said it was deeply concerned by the situation.",
    ),
    "sports": (
        "football|{last#a} scored twice in the second half as the visitors came from behind.",
        "football|Fans ran onto the pitch after the final whistle.",
        "football|The win lifts {team} to third in the table, four points behind the leaders.",
        "football|The forward has scored {num} goals in all competitions this season.",
        "football|Play was halted for twenty minutes in the second half because of heavy rain.",
        "football|The manager praised the defence, which has not conceded a goal in {numw} "
        "matches.",
        "football|The deal, worth a club record {money}, runs until {fyear}.",
        "football|The club said the coach had taken the team as far as possible.",
        "football|The board confirmed that the coach would stay until the end of the season.",
        "football|The champions have now won {num} league games in a row.",
        "football|The players will share a bonus if they win the trophy.",
        "football|The prime minister congratulated the players on a historic night for the "
        "country.",
        "athletics|{last#a} crossed the line well clear of the rest of the field.",
        "athletics|{last#a} took the lead on the final lap and held off a late sprint.",
        "athletics|The {age#a} now holds the national record as well as the world title.",
        "athletics|The court rejected the appeal, ruling that the tests had been carried out "
        "correctly.",
        "athletics|The team finished almost a second ahead of the defending champions.",
        "athletics|Heavy rain fell all afternoon, and several favourites crashed on the final "
        "descent.",
        "tennis|{last#a} won {tennis} and will face the top seed on {day}.",
        "tennis|The top seed needed three hours to get past a qualifier ranked outside the top "
        "{num}.",
        "tennis|{last#a} served {num2} aces and did not drop serve all match.",
        "tennis|The final will be played on the centre court on {day}.",
        "cricket|The hosts needed {num} runs from the last over but fell short.",
        "cricket|The visiting captain, {per#b}, made {num} runs before rain stopped play.",
        "cricket|The series is level at one match each with two to play.",
        "cricket|The spinners took seven wickets between them on a dry pitch.",
        "The {age#a} said it was the best moment of a long career.",
        "A crowd of {bignum} watched in a sold-out stadium.",
        "The squad will fly to {city} on {day} for a final training camp.",
        "Tickets for the final sold out within an hour.",
        "Doctors said the {age#a} would need surgery and at least three months of rest.",
    ),
    "business": (
        "company|The deal still needs approval from competition regulators.",
        "company|The company said revenue rose to {money} in the three months to {month}.",
        "company|The group employs about {bignum} people worldwide.",
        "company|Unions said they would ballot members on further strike action.",
        "company|{last#a} will be replaced by the finance director until a successor is found.",
        "company|The firm said it would close {numw} of its stores by the end of the year.",
        "company|Profit before tax fell by {pct} percent to {money}.",
        "company|Annual sales passed {money} for the first time.",
        "company|The company's new laboratory in {city} will employ {num} scientists and "
        "engineers.",
        "company|The chief executive, {per#b}, told investors that the company was in good shape.",
        "company|The contract, which runs until {fyear}, is the largest in the company's history.",
        "company|The company's shares have fallen by a third since {month}.",
        "company|The firm blamed higher energy costs and weak demand in {country}.",
        "company|The firm said the election result in {country} had unsettled investors.",
        "economy|The bank's governor, {per#b}, said further rate rises could not be ruled out.",
        "company|Pressure from the government to keep prices down has squeezed margins.",
        "economy|Consumer spending has held up better than economists predicted.",
        "economy|The currency weakened against the dollar after the announcement.",
        "economy|Economists expect inflation to ease later in the year as fuel prices fall.",
        "economy|Exports rose by {pct} percent compared with the same month last year.",
        "economy|The main share index in {city} closed {pct} percent higher.",
        "Analysts had expected a much smaller increase.",
        "Investors welcomed the news, sending the shares to a record high.",
        "The shares closed {pct} percent higher in {city} on {day}.",
    ),
    "science": (
        "space|The probe is expected to reach its target in {fyear}.",
        "space|Engineers will spend the next few weeks testing its instruments.",
        "space|Data from the satellite will help improve long-range weather forecasts.",
        "space|The telescope can detect light from galaxies that formed shortly after the Big "
        "Bang.",
        "space|Similar molecules have been found before, but never in such large amounts.",
        "space|The planet orbits a small, cool star about {num} light years from Earth.",
        "medicine|The findings were published on {day} in a leading medical journal.",
        "medicine|The team, led by {per#b} of {univ}, studied more than {bignum} patients.",
        "medicine|The researchers say larger studies are needed before the treatment is widely "
        "used.",
        "medicine|The mice lived about {pct} percent longer than those in the control group.",
        "medicine|The study followed {bignum} volunteers for more than a decade.",
        "medicine|The players wore sensors during {num} matches so that every movement was "
        "recorded.",
        "earth|The fossil, about {num} million years old, was found by a student on a field trip.",
        "earth|The samples were collected from a cave in {country} and dated in the laboratory.",
        "earth|The researchers compared the genes of {num} species from four continents.",
        "earth|The results could help governments plan for floods and droughts.",
        "earth|The discovery was made by an international team at a research station in {country}.",
        "lab|The experiment ran for {numw} years in a laboratory deep underground.",
        "lab|The team now plans to test the material outside the laboratory.",
        "lab|Physicists at {univ} said the measurement was ten times more precise than before.",
        "The research was funded by a government grant of {money}.",
        "lab|The team hopes companies could one day use the design to cut energy costs.",
        "{last#b}, a researcher at {univ}, called the result a genuine surprise.",
        "Independent experts said the method still had to be tested on a larger scale.",
        "The work was published in a peer-reviewed journal on {day}.",
    ),
}
"""Follow-up sentences that point to one topic, as ``theme|text`` (no theme: any story)."""

VAGUE_HEADLINES = (
    "{per#a} speaks of the proudest day so far.",
    "A week to remember in {city}.",
    "{last#a} makes history.",
    "Big changes announced for next year.",
    "What happened in {city} on {day}.",
    "{city} braces for a long night.",
    "{last#a} hits back at critics.",
    "Surprise result stuns {city}.",
    "Questions remain after {day}'s announcement.",
    "{per#a} steps down after {num2} years.",
    "A new chapter for {town}.",
    "The numbers behind a remarkable year.",
    "Long wait finally over for {town}.",
    "{last#a} says there is a lot of work still to do.",
    "Decision day in {city}.",
    "All eyes on {city} this weekend.",
    "{per#a} vows to keep going.",
    "Mixed reactions to {day}'s news.",
    "An unexpected turn in {city}.",
    "Why {day} matters for {town}.",
    "{town} celebrates a night it will not forget.",
    "Tense hours in {city} as the deadline nears.",
    "{per#a} says the best is yet to come.",
    "Another record falls in {city}.",
)
"""Headlines that fit every topic; the next sentence decides."""

NEUTRAL_BODIES = (
    "Further details are expected later this week.",
    "{last#a} declined to comment when contacted on {day}.",
    "Reaction on social media was swift.",
    "More than {bignum} people followed the events online.",
    "The announcement came earlier than many had expected.",
    "A full statement is due on {day}.",
)
"""Follow-up sentences that fit every topic; only added after a topical sentence."""

VAGUE_RATE = 0.3
"""Probability that a news item opens with a vague headline (then 1-2 topical sentences)."""

BODY_COUNT_WEIGHTS = (12, 63, 25)
"""Weights of 0, 1 and 2 topical follow-up sentences after a topical headline."""

NEUTRAL_BODY_RATE = 0.15
"""Probability of a neutral sentence at the end of a news item."""

# ---------------------------------------------------------------------------------------------
# Pools and text helpers.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pool:
    """A list cut into the half used everywhere and the half kept out of train."""

    shared: tuple[str, ...]
    heldout: tuple[str, ...]


def _split_pool(items: Sequence[str]) -> _Pool:
    """Cut a list in two: positions 0 and 3 of every 4 are shared, 1 and 2 held out.

    Raises:
        ValueError: if the list has duplicates (the halves would overlap).
    """
    if len(set(items)) != len(items):
        raise ValueError(f"list has duplicates: {items!r}")
    shared = tuple(x for i, x in enumerate(items) if i % 4 in (0, 3))
    heldout = tuple(x for i, x in enumerate(items) if i % 4 in (1, 2))
    return _Pool(shared, heldout)


_SLOT_RE = re.compile(r"\{([a-z0-9]+)(?:#([a-z]))?\}")
_SENTENCE_START_RE = re.compile(r"(^|[.!?]\s+)(['\"]?)([a-z])")
_ARTICLE_RE = re.compile(r"\b([Aa]) ([A-Za-z][\w-]*)")
_CONSONANT_SOUND = ("one", "use", "user", "uni", "euro")
_VOWEL_SOUND = ("hour", "honest")


def _article(match: re.Match[str]) -> str:
    """Turn ``a`` into ``an`` before a vowel sound."""
    article, word = match.groups()
    lower = word.lower()
    vowel = lower[0] in "aeiou" and not lower.startswith(_CONSONANT_SOUND)
    if vowel or lower.startswith(_VOWEL_SOUND):
        article += "n"
    return f"{article} {word}"


def _finish(text: str) -> str:
    """Tidy a filled template: spacing, ``a``/``an``, capitals at sentence starts.

    A lower-case letter at the start or after ``.``, ``!`` or ``?`` and a space is
    capitalised; text after a colon is left as it is.
    """
    text = " ".join(text.split())
    text = _ARTICLE_RE.sub(_article, text)
    return _SENTENCE_START_RE.sub(lambda m: m.group(1) + m.group(2) + m.group(3).upper(), text)


def _fill(template: str, fill: Callable[[str, str | None], str]) -> str:
    """Replace each ``{kind}`` or ``{kind#label}`` slot, left to right, with ``fill``'s text.

    Raises:
        ValueError: for a brace left over after filling (a malformed slot).
    """
    text = _SLOT_RE.sub(lambda m: fill(m.group(1), m.group(2)), template)
    if "{" in text or "}" in text:
        raise ValueError(f"malformed slot in template {template!r}")
    return text


class _Maker:
    """Shared machinery: a random generator and held-out sampling."""

    def __init__(self, rng: random.Random, heldout_rate: float) -> None:
        self.rng = rng
        self.heldout_rate = heldout_rate

    def pick(self, pool: _Pool, keep: Callable[[str], bool] | None = None) -> str:
        """Draw from the held-out half with probability ``heldout_rate``, else the shared.

        Args:
            pool: the list to draw from.
            keep: if given, only items for which it is true are drawn; when the chosen half
                has none, the shared half is used.

        Raises:
            ValueError: if no item of the chosen half or the shared half is kept.
        """
        novel = self.heldout_rate > 0 and self.rng.random() < self.heldout_rate
        options = pool.heldout if novel else pool.shared
        if keep is not None:
            options = tuple(x for x in options if keep(x)) or tuple(
                x for x in pool.shared if keep(x)
            )
        if not options:
            raise ValueError("no item left to draw")
        return self.rng.choice(options)


COMMON_POOLS: dict[str, _Pool] = {
    "first": _split_pool(FIRST_NAMES),
    "last": _split_pool(SURNAMES),
    "country": _split_pool(COUNTRIES),
    "nat": _split_pool(NATIONALITIES),
    "city": _split_pool(CITIES),
    "town": _split_pool(TOWNS),
    "company": _split_pool(COMPANIES),
}
"""Name pools shared by both corpora."""

# ---------------------------------------------------------------------------------------------
# Sentiment generation.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DomainPools:
    """The held-out-split lists of one review domain."""

    names: _Pool
    contexts: _Pool
    closers: _Pool


DOMAIN_POOLS: dict[str, _DomainPools] = {
    d.key: _DomainPools(
        _split_pool(d.names), _split_pool(d.contexts), _split_pool(d.closers + GENERIC_CLOSERS)
    )
    for d in DOMAINS
}
"""Name, context and closer pools of each review domain."""


class _ReviewMaker(_Maker):
    """Writes one review at a time."""

    def example(self, label: str) -> str:
        """Write a review with the given label (``negative`` or ``positive``)."""
        rng = self.rng
        domain = rng.choice(DOMAINS)
        pools = DOMAIN_POOLS[domain.key]
        good = label == "positive"
        used: list[str] = []
        thing = rng.choice(domain.things)
        name = self.pick(pools.names)
        subject = name if rng.random() < 0.4 else f"this {thing}"

        def slot(kind: str, _label: str | None) -> str:
            if kind == "cue":
                return self._clause(domain, good, used, subject)
            if kind == "foil":
                return self._clause(domain, not good, used, subject, whole=False)
            if kind == "whole":
                whole = domain.whole_good if good else domain.whole_bad
                return f"{subject} {rng.choice(whole)}"
            if kind == "subj":
                return subject
            if kind == "thing":
                return thing
            if kind == "name":
                return name
            if kind == "aspect":
                return self._aspect(domain, used).noun
            if kind == "minor":
                return rng.choice(domain.minor)
            if kind == "relative":
                return rng.choice(RELATIVES)
            if kind == "month":
                return rng.choice(MONTHS)
            if kind == "day":
                return rng.choice(DAYS)
            if kind == "numw":
                return rng.choice(NUMBER_WORDS)
            if kind == "city":
                return self.pick(COMMON_POOLS["city"])
            raise ValueError(f"unknown slot {{{kind}}}")

        parts: list[str] = []
        if rng.random() < CONTEXT_RATE:
            parts.append(_fill(self.pick(pools.contexts), slot))
        body = rng.choices(list(BODY_WEIGHTS), list(BODY_WEIGHTS.values()))[0]
        templates: tuple[str, ...]
        if body == "simple":
            templates = SIMPLE_TEMPLATES
        elif body == "contrast":
            templates = CONTRAST_TEMPLATES
        else:
            templates = LABEL_TEMPLATES[label]
        parts.append(_fill(rng.choice(templates), slot))
        if rng.random() < VERDICT_RATE:
            verdicts = VERDICTS[label] + (domain.verdict_good if good else domain.verdict_bad)
            parts.append(rng.choice(verdicts))
        if rng.random() < CLOSER_RATE:
            parts.append(_fill(self.pick(pools.closers), slot))
        return _finish(" ".join(parts))

    def _aspect(self, domain: _Domain, used: list[str], adjectives: bool = False) -> _Aspect:
        """Choose an aspect not yet mentioned in this review (if possible)."""
        options = [a for a in domain.aspects if a.noun not in used]
        if adjectives:
            options = [a for a in options if a.adjectives]
        aspect = self.rng.choice(options or domain.aspects)
        used.append(aspect.noun)
        return aspect

    def _clause(
        self, domain: _Domain, good: bool, used: list[str], subject: str, whole: bool = True
    ) -> str:
        """Write an independent clause (no final stop) praising or criticising something.

        Args:
            domain: the review domain.
            good: whether the clause is positive.
            used: aspects mentioned so far (updated).
            subject: the phrase naming the reviewed thing.
            whole: whether the clause may be about the whole thing.
        """
        rng = self.rng
        kinds = [k for k in CLAUSE_WEIGHTS if whole or k != "whole"]
        kind = rng.choices(kinds, [CLAUSE_WEIGHTS[k] for k in kinds])[0]
        if kind == "whole":
            return f"{subject} {rng.choice(domain.whole_good if good else domain.whole_bad)}"
        if kind == "i":
            frame = rng.choice(I_GOOD if good else I_BAD)
            return frame.format(a=self._aspect(domain, used, adjectives=True).noun)
        if kind == "pred":
            aspect = self._aspect(domain, used)
            return f"{aspect.noun} {rng.choice(aspect.good if good else aspect.bad)}"
        aspect = self._aspect(domain, used, adjectives=True)
        if domain.past:
            copula = "were" if aspect.plural else "was"
        else:
            copula = "are" if aspect.plural else "is"
        if kind == "adj":
            intensifier = rng.choice(INTENSIFIERS)
            adjective = rng.choice(GOOD_ADJECTIVES if good else BAD_ADJECTIVES)
            if adjective.startswith("a "):
                intensifier = ""
            return f"{aspect.noun} {copula} {intensifier}{adjective}"
        complement = rng.choice(NEGATED_BAD if good else NEGATED_GOOD)
        if complement.startswith("not ") and rng.random() < 0.4:
            return f"{aspect.noun} {copula}n't {complement[4:]}"
        return f"{aspect.noun} {copula} {complement}"


# ---------------------------------------------------------------------------------------------
# Topic generation.
# ---------------------------------------------------------------------------------------------

VAGUE_POOL = _split_pool(VAGUE_HEADLINES)
"""Vague headlines, split into shared and held-out halves."""

HEADLINE_POOLS: dict[str, _Pool] = {label: _split_pool(HEADLINES[label]) for label in HEADLINES}
"""Topical headlines of each topic, split into shared and held-out halves."""

BODY_POOLS: dict[str, _Pool] = {label: _split_pool(BODIES[label]) for label in BODIES}
"""Topical follow-up sentences of each topic, split into shared and held-out halves."""


def _theme(entry: str) -> tuple[str, str]:
    """Split ``theme|text`` into (theme, text); an entry without ``|`` has theme ``""``."""
    theme, sep, text = entry.partition("|")
    return (theme, text) if sep else ("", entry)


def _fits(theme: str, sentences: Sequence[str], entry: str) -> bool:
    """Whether a ``theme|text`` body suits a story of ``theme`` and is not used yet."""
    entry_theme, text = _theme(entry)
    return (not theme or entry_theme in ("", theme)) and text not in sentences


class _NewsMaker(_Maker):
    """Writes one news item at a time."""

    def example(self, label: str) -> str:
        """Write a news item about the given topic."""
        rng = self.rng
        people: dict[str, tuple[str, str]] = {}
        named: dict[tuple[str, str], str] = {}
        used: list[str] = []

        def person(tag: str | None) -> tuple[str, str]:
            if tag is not None and tag in people:
                return people[tag]
            value = (self.pick(COMMON_POOLS["first"]), self.pick(COMMON_POOLS["last"]))
            for _ in range(5):
                if value[0] not in used and value[1] not in used:
                    break
                value = (self.pick(COMMON_POOLS["first"]), self.pick(COMMON_POOLS["last"]))
            used.extend(value)
            if tag is not None:
                people[tag] = value
            return value

        def slot(kind: str, tag: str | None) -> str:
            if kind == "per":
                return " ".join(person(tag))
            if kind == "last":
                return person(tag)[1]
            if tag is not None and (kind, tag) in named:
                return named[kind, tag]
            value = self._value(kind)
            for _ in range(5):
                if value not in used:
                    break
                value = self._value(kind)
            used.append(value)
            if tag is not None:
                named[kind, tag] = value
            return value

        theme = ""
        if rng.random() < VAGUE_RATE:
            sentences = [self.pick(VAGUE_POOL)]
            count = rng.choice((1, 2))
        else:
            theme, headline = _theme(self.pick(HEADLINE_POOLS[label]))
            sentences = [headline]
            count = rng.choices(range(len(BODY_COUNT_WEIGHTS)), BODY_COUNT_WEIGHTS)[0]
        for _ in range(count):
            fits = partial(_fits, theme, sentences)
            body_theme, body = _theme(self.pick(BODY_POOLS[label], fits))
            theme = theme or body_theme
            sentences.append(body)
        if rng.random() < NEUTRAL_BODY_RATE:
            sentences.append(rng.choice(NEUTRAL_BODIES))
        return _finish(" ".join(_fill(s, slot) for s in sentences))

    def _value(self, kind: str) -> str:
        """A fresh value for a non-person slot."""
        rng = self.rng
        if kind in ("country", "nat", "city", "town", "company"):
            return self.pick(COMMON_POOLS[kind])
        if kind == "team":
            town = self.pick(COMMON_POOLS["town"])
            return f"{town} {rng.choice(TEAM_SUFFIXES)}"
        if kind == "univ":
            if rng.random() < 0.5:
                return f"{self.pick(COMMON_POOLS['town'])} University"
            return f"the University of {self.pick(COMMON_POOLS['city'])}"
        if kind == "num":
            return str(rng.randint(3, 90))
        if kind == "num2":
            return str(rng.randint(12, 39))
        if kind == "numw":
            return rng.choice(NUMBER_WORDS)
        if kind == "bignum":
            return f"{rng.randint(2, 95)},{rng.randint(0, 9)}00"
        if kind == "pct":
            return f"{rng.randint(1, 19)}.{rng.randint(1, 9)}"
        if kind == "money":
            if rng.random() < 0.6:
                return f"${rng.randint(2, 950)} million"
            return f"${rng.randint(1, 9)}.{rng.randint(1, 9)} billion"
        if kind == "score":
            winner = rng.randint(1, 5)
            return f"{winner}-{rng.randint(0, min(winner - 1, 3))}"
        if kind == "draw":
            goals = rng.randint(0, 3)
            return f"{goals}-{goals}"
        if kind == "tennis":
            sets = [f"6-{rng.randint(0, 4)}" for _ in range(rng.choice((2, 2, 3)))]
            return " ".join(sets)
        if kind == "time":
            return f"{rng.randint(2, 3)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}"
        if kind == "mag":
            return f"{rng.randint(5, 7)}.{rng.randint(0, 9)}"
        if kind == "age":
            return f"{rng.randint(21, 38)}-year-old"
        if kind == "year":
            return str(rng.randint(2015, 2024))
        if kind == "fyear":
            return str(rng.randint(2027, 2034))
        if kind == "day":
            return rng.choice(DAYS)
        if kind == "month":
            return rng.choice(MONTHS)
        if kind == "distance":
            return rng.choice(DISTANCES)
        raise ValueError(f"unknown slot {{{kind}}}")


# ---------------------------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------------------------

_MAKERS: dict[str, type[_ReviewMaker] | type[_NewsMaker]] = {
    "sentiment": _ReviewMaker,
    "topic": _NewsMaker,
}


def generate_corpus(name: str, seed: int = DEFAULT_SEED) -> dict[str, list[Example]]:
    """Generate one corpus.

    Labels are scheduled so that every split is balanced (up to rounding), then shuffled.
    A text that is too short, too long, or already present in this or an earlier split is
    drawn again.

    Args:
        name: ``sentiment`` or ``topic``.
        seed: base seed; each split uses its own ``random.Random`` derived from it.

    Returns:
        Split name (``train``, ``validation``, ``test``) -> list of (text, label).

    Raises:
        KeyError: for an unknown corpus name.
        RuntimeError: if a split cannot be filled with distinct texts.
    """
    maker_type = _MAKERS[name]
    labels = LABELS[name]
    corpus_index = list(SPLIT_SIZES).index(name)
    seen: set[str] = set()
    corpus: dict[str, list[Example]] = {}
    for split_index, (split, size) in enumerate(SPLIT_SIZES[name].items()):
        rng = random.Random(seed * 100 + corpus_index * 10 + split_index)
        maker = maker_type(rng, 0.0 if split == "train" else HELDOUT_RATE)
        schedule = [labels[i % len(labels)] for i in range(size)]
        rng.shuffle(schedule)
        examples: list[Example] = []
        for label in schedule:
            for _ in range(MAX_TRIES):
                text = maker.example(label)
                if text not in seen and MIN_WORDS <= len(text.split()) <= MAX_WORDS:
                    break
            else:
                raise RuntimeError(f"{name}/{split}: no new text for {label!r}")
            seen.add(text)
            examples.append((text, label))
        corpus[split] = examples
    return corpus


def generate(seed: int = DEFAULT_SEED) -> dict[str, dict[str, list[Example]]]:
    """Generate both corpora.

    Args:
        seed: base seed.

    Returns:
        Corpus name (``sentiment``, ``topic``) -> split name -> list of (text, label).
    """
    return {name: generate_corpus(name, seed) for name in SPLIT_SIZES}


def write_jsonl(examples: Iterable[Example], path: str | Path) -> None:
    """Write examples as JSON lines ``{"text": ..., "label": ...}``.

    Args:
        examples: (text, label) pairs.
        path: the output file (ASCII, LF line endings).

    Raises:
        ValueError: for an empty or non-ASCII text, or one containing a line break.
    """
    lines: list[str] = []
    for text, label in examples:
        if not text or not text.isascii() or "\n" in text or "\r" in text:
            raise ValueError(f"bad text {text!r}")
        lines.append(json.dumps({"text": text, "label": label}, ensure_ascii=True) + "\n")
    Path(path).write_text("".join(lines), encoding="ascii", newline="\n")


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point: write ``{sentiment,topic}/{train,validation,test}.jsonl``.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        description="Write the built-in sentiment and topic classification corpora (JSONL)."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent,
        help="output directory; files go to OUT/sentiment and OUT/topic "
        "(default: the folder of this module)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    for name, splits in generate(args.seed).items():
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        for split, examples in splits.items():
            path = folder / f"{split}.jsonl"
            write_jsonl(examples, path)
            counts = ", ".join(
                f"{label} {sum(1 for _, y in examples if y == label)}" for label in LABELS[name]
            )
            print(f"{path}: {len(examples)} texts ({counts})")


if __name__ == "__main__":
    main()
