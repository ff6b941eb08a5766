"""The small lexicon the compliance check (:mod:`knowme.assist.comply`) reads: what a named category covers.

:data:`CATEGORIES` maps a category a preference may name ("red meat", "alcohol") to the words an answer would use
for its members (English, and the Portuguese dishes of the demo life). :data:`DIETS` maps a diet a person may state
("I'm vegetarian", the graph's ``diet`` fact) to the categories it rules out. :data:`ALIASES` are other names of a
category ("booze" for alcohol). :data:`NOT_A_MEMBER` are words that, right before a member, make it something else
("veggie burger", "non-alcoholic beer", "plant-based steak"). Matching folds case and accents and allows a plural
``s``/``es``; multi-word members match as phrases. Keep it small and data-like: a missing member is a missed
violation, a wrong one a false note.
"""

from __future__ import annotations

_RED_MEAT = (
    "red meat", "beef", "steak", "pork", "lamb", "veal", "mutton", "venison", "burger", "hamburger",
    "cheeseburger", "bacon", "ham", "sausage", "chorizo", "salami", "prosciutto", "pepperoni", "ribs", "brisket",
    "meatball", "meatloaf", "bolognese", "bife", "picanha", "bitoque", "francesinha", "leitao", "alheira",
    "chourico", "presunto", "cozido", "feijoada", "entrecote", "sirloin", "t-bone", "filet mignon", "carpaccio",
)  # fmt: skip
_POULTRY = ("chicken", "turkey", "duck", "goose", "poultry", "frango", "piri-piri chicken", "foie gras")
_SHELLFISH = ("shellfish", "shrimp", "prawn", "lobster", "crab", "clam", "mussel", "oyster", "scallop", "ameijoas",
              "percebes", "seafood")  # fmt: skip
_FISH = (
    "fish", "salmon", "tuna", "cod", "bacalhau", "sardine", "sea bass", "seabass", "trout", "anchovy", "anchovies",
    "octopus", "polvo", "squid", "sushi", "sashimi", "ceviche", "mackerel", "hake", "dourada", "robalo", *_SHELLFISH,
)  # fmt: skip

CATEGORIES: dict[str, tuple[str, ...]] = {
    "red meat": _RED_MEAT,
    "pork": ("pork", "bacon", "ham", "sausage", "chorizo", "salami", "prosciutto", "pepperoni", "leitao", "presunto",
             "chourico", "alheira", "feijoada"),
    "meat": ("meat", *_RED_MEAT, *_POULTRY),
    "poultry": _POULTRY,
    "fish": _FISH,
    "seafood": _SHELLFISH,
    "shellfish": _SHELLFISH,
    "alcohol": (
        "alcohol", "wine", "beer", "cocktail", "gin", "vodka", "whisky", "whiskey", "rum", "tequila", "champagne",
        "prosecco", "cava", "port wine", "sangria", "cider", "vinho verde", "ginjinha", "aperitif", "spritz",
        "mojito", "margarita", "negroni", "brewery", "wine bar", "wine tasting", "happy hour", "liqueur", "brandy",
    ),
    "dairy": ("dairy", "milk", "cheese", "butter", "cream", "yogurt", "yoghurt", "ice cream", "latte", "cappuccino",
              "milkshake", "queijo", "natas"),
    "eggs": ("egg", "eggs", "omelette", "omelet", "frittata", "mayonnaise", "quiche"),
    "gluten": ("gluten", "bread", "pasta", "pizza", "wheat", "barley", "rye", "croissant", "bagel", "noodle",
               "couscous", "pastel de nata", "francesinha", "sandwich", "beer"),
    "caffeine": ("caffeine", "coffee", "espresso", "bica", "galao", "latte", "cappuccino", "energy drink"),
    "sugar": ("sugar", "dessert", "cake", "candy", "chocolate", "pastel de nata", "soda", "ice cream"),
    "spicy food": ("spicy", "chili", "chilli", "jalapeno", "sriracha", "piri-piri", "vindaloo", "hot sauce"),
    "fried food": ("fried", "fries", "chips", "deep-fried", "tempura", "churros"),
    "red-eye flights": ("red-eye", "overnight flight", "night flight"),
    "budget airlines": ("ryanair", "easyjet", "wizz air", "vueling", "transavia", "volotea"),
}  # fmt: skip

ALIASES: dict[str, str] = {
    "drink": "alcohol", "drinking": "alcohol", "drinks": "alcohol", "booze": "alcohol", "alcoholic drinks": "alcohol",
    "meats": "meat", "red meats": "red meat", "low-cost airlines": "budget airlines", "low cost airlines":
    "budget airlines", "budget airline": "budget airlines", "red eye": "red-eye flights", "red-eyes": "red-eye flights",
    "red-eye": "red-eye flights", "overnight flights": "red-eye flights", "coffee": "caffeine", "sweets": "sugar",
    "spicy": "spicy food", "fried": "fried food", "egg": "eggs", "lactose": "dairy",
}  # fmt: skip

DIETS: dict[str, tuple[str, ...]] = {
    "vegetarian": ("meat", "fish"),
    "veggie": ("meat", "fish"),
    "vegan": ("meat", "fish", "dairy", "eggs"),
    "plant-based": ("meat", "fish", "dairy", "eggs"),
    "pescatarian": ("meat",),
    "pescetarian": ("meat",),
    "teetotal": ("alcohol",),
    "teetotaller": ("alcohol",),
    "sober": ("alcohol",),
    "gluten-free": ("gluten",),
    "coeliac": ("gluten",),
    "celiac": ("gluten",),
    "lactose intolerant": ("dairy",),
    "dairy-free": ("dairy",),
    "halal": ("pork", "alcohol"),
    "kosher": ("pork", "shellfish"),
}

#: Words that, just before a member, make it not one ("veggie burger", "non-alcoholic beer", "decaf coffee").
NOT_A_MEMBER = (
    "vegetarian", "vegan", "veggie", "plant-based", "meatless", "meat-free", "mock", "faux", "fake", "imitation",
    "non-alcoholic", "alcohol-free", "alcohol free", "zero-alcohol", "virgin", "decaf", "decaffeinated",
    "lactose-free", "dairy-free", "gluten-free", "oat", "soy", "almond", "sugar-free", "tofu", "seitan",
)  # fmt: skip
