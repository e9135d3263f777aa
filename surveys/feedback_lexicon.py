"""The customer-feedback supplement to VADER's lexicon: pure data and one text rewrite.

VADER was built on social-media text. In feedback, some of its positive words are topics,
not praise ("support", "help", "service", "credit", "promised"): "support never answered"
scored +0.40 before this supplement. It also misses the vocabulary of complaints
("crash", "unusable", "refund", "still waiting") and the phrases that carry them
("never answered", "charged twice", "had to call three times").

Three parts, applied by the scorer that owns the VADER analyzer (``bot/sentiment_model``):

* :data:`NEUTRAL_TOPICS`: removed from the lexicon, so a topic carries no sentiment;
* :data:`DOMAIN_WORDS`: added or re-weighted words (VADER's scale, -4 .. +4);
* :data:`PHRASES`: regular expressions rewritten into one marker token each, whose valence
  is in :data:`DOMAIN_WORDS`. A rewrite rather than a score adjustment keeps VADER's own
  rules (negation, "but", boosters, capitals) working on the result: "the refund never
  arrived, but support was great" still weighs the part after "but" more.
"""

from __future__ import annotations

import re

NEUTRAL_TOPICS: frozenset[str] = frozenset(
    {
        "support",
        "supported",
        "supports",
        "help",
        "helps",
        "care",
        "please",
        "credit",
        "promise",
        "promised",
        "promises",
        "free",
        "special",
        "ok",
        "okay",
        # "hard to reach with one hand": a body part in reviews, not "give me a hand"
        "hand",
        "hands",
    }
)

DOMAIN_WORDS: dict[str, float] = {
    # product faults
    "crash": -2.3,
    "crashes": -2.3,
    "crashed": -2.3,
    "crashing": -2.3,
    "freeze": -1.8,
    "freezes": -1.8,
    "froze": -1.8,
    "freezing": -1.8,
    "unusable": -2.8,
    "unreadable": -1.8,
    "broken": -2.2,
    "buggy": -2.2,
    "bug": -1.5,
    "bugs": -1.5,
    "glitch": -1.5,
    "glitches": -1.5,
    "glitchy": -1.8,
    "laggy": -1.8,
    "lag": -1.4,
    "slow": -1.5,
    "slower": -1.5,
    "sluggish": -1.6,
    "fails": -1.8,
    "failed": -1.8,
    "failing": -1.8,
    "error": -1.5,
    "errors": -1.5,
    "loses": -1.6,
    "lost": -1.6,
    "disappeared": -1.8,
    "drains": -1.6,
    "stuck": -1.8,
    "loops": -1.2,
    "confusing": -1.6,
    "complicated": -1.2,
    "unreliable": -2.2,
    "outdated": -1.2,
    "defective": -2.4,
    "damaged": -2.2,
    "crushed": -2.0,
    "soaked": -1.6,
    "missing": -1.6,
    "mess": -2.0,
    "rubbish": -2.4,
    "garbage": -2.4,
    "scam": -3.0,
    "nightmare": -2.8,
    "downhill": -1.8,
    "meh": -1.2,
    "overcharged": -2.4,
    "overpriced": -2.2,
    "expensive": -1.3,
    "pricey": -0.8,
    "refund": -0.9,
    "cancelling": -1.4,
    "canceling": -1.4,
    "unsubscribe": -1.2,
    "waiting": -1.0,
    "wait": -0.6,
    "late": -1.4,
    "delayed": -1.6,
    "delay": -1.3,
    "rude": -2.4,
    "unhelpful": -2.3,
    "incompetent": -2.6,
    "ignored": -2.0,
    "disconnected": -1.5,
    "useless": -2.6,
    "disappointed": -2.2,
    "disappointing": -2.2,
    # praise that VADER misses or underweights
    "lifesaver": 2.6,
    "seamless": 2.0,
    "intuitive": 1.8,
    "reliable": 1.8,
    "responsive": 1.6,
    "smooth": 1.6,
    "painless": 1.8,
    "hassle-free": 2.0,
    "fast": 1.0,
    "quick": 1.0,
    "quickly": 1.0,
    "early": 0.8,
    "solved": 1.6,
    "fixed": 1.6,
    "sorted": 1.2,
    "resolved": 1.6,
    "recommend": 1.8,
    "nailed": 2.0,
    "patient": 1.6,
    "notch": 2.2,
    "worth": 1.4,
    # the vocabulary of product reviews (build, screen, sound, battery): faults VADER misses
    "flimsy": -2.0,
    "shoddy": -2.4,
    "cheaply": -1.4,
    "junk": -2.6,
    "subpar": -2.0,
    "underwhelming": -1.8,
    "wobbly": -1.5,
    "wobbles": -1.4,
    "rattles": -1.3,
    "rattling": -1.3,
    "cracked": -1.8,
    "fragile": -1.0,
    "leaks": -1.8,
    "leaking": -1.8,
    "leaky": -1.8,
    "jams": -1.6,
    "jammed": -1.6,
    "overheats": -2.0,
    "overheating": -2.0,
    "flickers": -1.5,
    "flickering": -1.5,
    "crackles": -1.4,
    "crackling": -1.4,
    "grainy": -1.5,
    "tinny": -1.5,
    "choppy": -1.4,
    "blurry": -1.5,
    "fuzzy": -1.2,
    "dim": -0.8,
    "noisy": -1.2,
    "clunky": -1.5,
    "bulky": -0.8,
    "cramped": -1.2,
    "inaccurate": -1.6,
    "unresponsive": -2.0,
    "dies": -1.8,
    "poorly": -1.8,
    "issue": -1.0,
    "issues": -1.2,
    # ... and the praise
    "sturdy": 1.8,
    "durable": 1.6,
    "crisp": 1.6,
    "sleek": 1.6,
    "vivid": 1.6,
    "snappy": 1.6,
    "comfy": 1.8,
    "accurate": 1.2,
    "precise": 1.2,
    "lightweight": 1.0,
    "quiet": 0.8,
    "solid": 1.4,
    # phrase markers (see PHRASES)
    "fbneverreplied": -2.6,
    "fbnoresponse": -2.4,
    "fbstillwaiting": -2.2,
    "fbstoppedworking": -2.6,
    "fbchargedtwice": -2.6,
    "fbrepeatcalls": -2.4,
    "fbtooklong": -2.2,
    "fbnorefund": -2.4,
    "fbnotfixed": -2.2,
    "fbwasteof": -2.8,
    "fbnotworth": -2.2,
    "fbnotworking": -2.4,
    "fbdoesntwork": -2.4,
    "fbnotrecommend": -2.6,
    "fbcantlogin": -2.2,
    "fbonhold": -1.8,
    "fbnooneback": -2.4,
    "fbnevercame": -2.4,
    "fbwrongitem": -2.0,
    "fbnotsolved": -2.2,
    "fbnohelp": -2.2,
    "fbneveragain": -2.8,
    "fbaboveandbeyond": 2.8,
    "fbworksgreat": 2.4,
    "fbnocomplaints": 1.8,
    "fbnoissues": 1.8,
    "fbexceeded": 2.4,
    "fbasdescribed": 1.6,
    "fbcantbeat": 2.2,
    "fbblownaway": 2.6,
    "fbgamechanger": 2.4,
    "fbbreeze": 2.0,
    "fbfivestars": 2.4,
    "fbonestar": -2.4,
    "fbliveupto": 2.2,
    "fbdoeseverything": 1.8,
    "fbneverletdown": 2.2,
    "fbkeeper": 2.0,
    "fbtoomuch": -1.4,
    "fbhardtouse": -1.6,
    "fbbarely": -1.8,
    "fbcantdo": -2.0,
    "fbothersbetter": -1.8,
    "fbcouldntbehappier": 2.8,
    "fbresembles": 0.0,
    "fbwouldbenice": -1.8,
    "fbcouldbebetter": -1.6,
    "fbsupposedto": -1.2,
    "fbusedtobe": -1.4,
    "fbgooduntil": -2.0,
    "fbexpectedbetter": -1.8,
    "fbwantedtolike": -1.6,
    "fbonlygood": -1.6,
    "fbwish": -1.2,
    "fbfellapart": -2.4,
    "fbwontturnon": -2.4,
    "fbreturned": -1.8,
    "fbnocharge": -2.2,
    "fbbuyagain": 2.2,
    "fbwellmade": 2.0,
    "fbdoesthejob": 1.4,
    "fbnothingspecial": 0.0,
    "fbaverage": 0.0,
}

_N = r"(?:two|three|four|five|six|seven|eight|nine|ten|several|many|multiple|\d+)"
_NEVER = r"(?:never|still\s+(?:hasn't|haven't|has\s+not|have\s+not|not)|hasn't|haven't|didn't|did\s+not|not)"

# (pattern, marker). Order matters only where patterns overlap; the first match wins a span.
PHRASES: tuple[tuple[str, str], ...] = (
    (r"nothing\s+(?:special|great|fancy|extraordinary|remarkable|much)", "fbnothingspecial"),
    (r"(?:nothing|not\s+anything)\s+to\s+complain\s+about|no\s+complaints", "fbnocomplaints"),
    (r"no\s+(?:issues|problems)(?:\s+at\s+all)?|(?:zero|not\s+a\s+single)\s+(?:issue|problem)s?", "fbnoissues"),
    (r"(?:just\s+)?average|so-so|mediocre|neither\s+good\s+nor\s+bad", "fbaverage"),
    (
        rf"{_NEVER}\s+(?:got\s+)?(?:answered|replied|responded|answer|reply|respond|got\s+back|called\s+back|"
        r"heard\s+back|get\s+back)",
        "fbneverreplied",
    ),
    (r"(?:nobody|no\s+one|no-one)\s+(?:got|gets|ever\s+got|has\s+got|came)\s+back(?:\s+to\s+me)?", "fbnooneback"),
    (r"no\s+(?:response|reply|answer|feedback|word)(?:\s+(?:from|yet|at\s+all))?", "fbnoresponse"),
    (
        r"still\s+(?:waiting|no|not)|(?:been\s+)?waiting\s+(?:for|since)\s+(?:over\s+)?(?:a|an|\w+)\s+\w+",
        "fbstillwaiting",
    ),
    (
        r"(?:stopped|stops|quit)\s+working|(?:no\s+longer|doesn't|does\s+not|don't|won't)\s+work(?:s|ing)?",
        "fbstoppedworking",
    ),
    (r"(?:is|are|was|isn't|not)\s+(?:not\s+)?working|nothing\s+works", "fbnotworking"),
    (r"(?:charged|billed|debited)\s+(?:me\s+)?(?:twice|two\s+times|double|again)|double[-\s]charged", "fbchargedtwice"),
    (rf"(?:had|have|needed)\s+to\s+(?:call|phone|email|write|chase|contact\s+\w+)\s+{_N}\s+times", "fbrepeatcalls"),
    (rf"(?:call|phone|email|write|ask)(?:ed)?\s+{_N}\s+times", "fbrepeatcalls"),
    (
        rf"(?:took|takes|taking)\s+(?:over\s+|more\s+than\s+|almost\s+|nearly\s+)?{_N}\s+(?:weeks|months|days)",
        "fbtooklong",
    ),
    (r"(?:no|still\s+no|never\s+got\s+(?:a|my))\s+refund", "fbnorefund"),
    (r"(?:never|not|wasn't|isn't|didn't\s+get)\s+(?:fixed|resolved|solved|sorted)", "fbnotfixed"),
    (r"(?:still|problem|issue)\s+(?:is\s+)?(?:not|isn't)\s+(?:fixed|resolved|solved|sorted)", "fbnotsolved"),
    (r"waste\s+of\s+(?:money|time)", "fbwasteof"),
    (r"not\s+worth\s+(?:it|the\s+money|the\s+price)", "fbnotworth"),
    (r"(?:doesn't|does\s+not|didn't|did\s+not)\s+(?:do\s+what|work\s+as)", "fbdoesntwork"),
    (r"(?:never|not|wouldn't|would\s+not|won't|will\s+not|can't|cannot)\s+recommend", "fbnotrecommend"),
    (r"don't\s+buy|do\s+not\s+buy|avoid\s+(?:it|this)", "fbnotrecommend"),
    (r"(?:can't|cannot|can\s+not|unable\s+to)\s+(?:log\s*in|sign\s+in|login|access)", "fbcantlogin"),
    (r"(?:put\s+)?on\s+hold\s+for", "fbonhold"),
    (r"never\s+(?:came|arrived|showed\s+up|turned\s+up|delivered|got\s+it)", "fbnevercame"),
    (r"wrong\s+(?:item|size|product|order|address)", "fbwrongitem"),
    (r"(?:didn't|did\s+not|doesn't|does\s+not)\s+help(?:\s+at\s+all)?", "fbnohelp"),
    (r"never\s+(?:\w+ing\s+(?:\w+\s+)?|(?:buy|order|use|come)\s+(?:\w+\s+)?)?again", "fbneveragain"),
    # a warning to other buyers: VADER turns the negated bad word into praise ("don't waste")
    (
        r"(?:don't|do\s+not)\s+(?:waste|bother)|save\s+your(?:self)?\s+(?:money|time|the\s+money)|"
        r"stay\s+away|look\s+elsewhere|buyer\s+beware|steer\s+clear",
        "fbnotrecommend",
    ),
    # ... and a negated comparative of praise into a complaint ("could not be happier")
    (
        r"(?:could(?:n't|\s+not)|can't|cannot)\s+(?:be\s+(?:happier|more\s+(?:pleased|satisfied|happy))|"
        r"(?:ask|wish)\s+for\s+(?:more|better|anything\s+more))",
        "fbcouldntbehappier",
    ),
    # "like" after a verb of perception compares, it does not praise ("feels like a toy")
    (r"(?:feels?|felt|looks?|looked|sounds?|sounded|seems?|seemed)\s+like", "fbresembles"),
    # better, but somebody else's
    (
        r"(?:old|previous|last|other|cheaper|older)\s+(?:one|model|version|phone|camera|brands?|models?|ones)\s+"
        r"(?:was|were|is|are)\s+(?:much\s+|far\s+|way\s+|a\s+lot\s+)?better|"
        r"(?:there\s+are|you\s+can\s+(?:find|get|buy)|you'll\s+find|I've\s+(?:seen|had|used))\s+"
        r"(?:much\s+|far\s+|way\s+)?better|thought\s+it\s+would\s+be\s+better",
        "fbothersbetter",
    ),
    # the idioms of a happy buyer that VADER has no word for ("exceeded my expectations")
    (r"exceed(?:s|ed)?\s+(?:my\s+|all\s+|our\s+|your\s+)?(?:\w+\s+)?expectations", "fbexceeded"),
    (
        r"does\s+(?:exactly\s+)?what\s+it\s+says(?:\s+on\s+the\s+(?:tin|box))?|"
        r"(?:exactly\s+)?as\s+(?:described|advertised|pictured|promised)",
        "fbasdescribed",
    ),
    (r"(?:can't|cannot|can\s+not|couldn't)\s+beat\s+(?:it|the\s+price|that|this|the\s+value)", "fbcantbeat"),
    (r"blown\s+away", "fbblownaway"),
    (r"game[\s-]+changer", "fbgamechanger"),
    (r"(?:a|an\s+absolute|was\s+a|is\s+a)\s+breeze", "fbbreeze"),
    (r"(?<!of\s)(?:five|5)\s+stars?", "fbfivestars"),  # not "2 out of 5 stars"
    (r"(?:one|1|zero|0|no)\s+stars?", "fbonestar"),
    (
        r"lives?\s+up\s+to\s+(?:the\s+|its\s+|all\s+the\s+|my\s+)?(?:hype|reputation|expectations|promise|reviews)",
        "fbliveupto",
    ),
    (r"(?:does|do|did)\s+everything\s+(?:I|we)\s+(?:need|needed|want|wanted|expected|asked)", "fbdoeseverything"),
    (r"never\s+(?:lets?|let)\s+(?:me|us)\s+down", "fbneverletdown"),
    (r"(?:it's|it\s+is|this\s+is|definitely)\s+a\s+keeper", "fbkeeper"),
    # "too" before a plain adjective is a complaint about the product ("too small", "way too loud")
    (
        r"too\s+(?:small|big|large|heavy|loud|short|long|thin|thick|bright|dark|dim|hot|cold|slow|expensive|"
        r"complicated|fragile|tight|loose|noisy|bulky|stiff|weak|flimsy|quiet|low|high|fiddly|wide|narrow)",
        "fbtoomuch",
    ),
    (
        r"(?:hard|difficult|impossible|tricky|awkward)\s+to\s+(?:use|read|set\s+up|install|find|reach|clean|"
        r"open|close|hold|navigate|understand|see|hear|charge|connect|operate|adjust|press)",
        "fbhardtouse",
    ),
    (
        r"barely\s+(?:works?|worked|lasts?|lasted|holds?|fits?|usable|audible|visible|readable)|"
        r"only\s+(?:lasted|lasts|worked|works)\s+(?:for\s+)?(?:a|an|one|two|three|four|five|six|\d+|a\s+few)\s+"
        r"(?:hours?|days?|weeks?|months?|uses?|times?)",
        "fbbarely",
    ),
    # "won't connect", "does not stay closed": the device fails at its job
    (
        r"(?:doesn't|does\s+not|won't|will\s+not|didn't|did\s+not|can't|cannot|can\s+not|wouldn't|would\s+not)"
        r"\s+(?:fit|connect|stay|hold|last|load|sync|pair|print|start|boot|open|close|recogni[sz]e|read|"
        r"respond|save|update|detect)",
        "fbcantdo",
    ),
    (
        r"(?:stopped|stops|keeps)\s+(?:responding|connecting|syncing|disconnecting|dropping|freezing|restarting)",
        "fbcantdo",
    ),
    # a booster, not the adjective, before a bad word ("pretty bad")
    (
        r"pretty(?=\s+(?:bad|poor|awful|terrible|useless|disappointing|weak|slow|flimsy|cheap|mediocre|"
        r"annoying|loud|noisy|buggy|unreliable|expensive))",
        "very",
    ),
    # what did not happen: VADER reads the good word and misses the wish around it
    # (only when the wish is that it did its job: "would be nice if it had a timer" is a
    # feature request, not a complaint)
    (
        r"would\s+(?:be|have\s+been|make\s+it)\s+(?:so\s+|really\s+|much\s+)?"
        r"(?:nice|great|good|better|perfect|helpful|useful|fine|ideal)\s+if\s+"
        r"(?:it|they|this|you|someone|anyone|the\s+\w+)\s+(?:actually\s+|only\s+|just\s+|ever\s+)?"
        r"(?:worked|work|did|was|were|lasted|held|fit|charged|connected|arrived|answered|replied|responded|"
        r"called|fixed|listened)",
        "fbwouldbenice",
    ),
    (r"could\s+(?:be|have\s+been)\s+(?:much\s+|a\s+lot\s+|way\s+|far\s+)?better", "fbcouldbebetter"),
    (r"(?:is|are|was|were)\s+(?:supposed|meant)\s+to", "fbsupposedto"),
    (
        r"used\s+to\s+(?:be\s+(?:so\s+|really\s+)?(?:great|good|fine|better|reliable|nice)|"
        r"work(?:\s+(?:so\s+|really\s+)?(?:fine|well|great|perfectly))?)",
        "fbusedtobe",
    ),
    (
        r"(?:was|were|worked|work(?:s|ed)?)\s+(?:great|fine|good|perfect|perfectly|ok|well|nice)\s+"
        r"(?:until|for\s+(?:a|one|two|three|\w+)\s+(?:day|days|week|weeks|month|months|while)\s+(?:and\s+)?then)",
        "fbgooduntil",
    ),
    (
        r"(?:expected|expecting|hoped\s+for|hoping\s+for)\s+(?:much\s+|a\s+lot\s+|far\s+|so\s+much\s+)?"
        r"(?:better|more)",
        "fbexpectedbetter",
    ),
    (r"(?:wanted|want|tried|hoped)\s+to\s+(?:like|love)|had\s+(?:such\s+|really\s+)?high\s+hopes", "fbwantedtolike"),
    (r"(?:the\s+)?only\s+(?:good|positive|nice|decent|redeeming)\s+(?:thing|part|feature)", "fbonlygood"),
    (
        r"I\s+wish\s+(?:it|they|this|the\s+\w+)\s+(?:had|was|were|would|could|did|came|worked|lasted)|"
        r"I\s+wish\s+I\s+(?:had|hadn't|had\s+not|never|didn't|did\s+not)",
        "fbwish",
    ),
    (r"(?:fell|falls|falling|came|coming)\s+apart", "fbfellapart"),
    (
        r"(?:won't|doesn't|does\s+not|will\s+not|wouldn't|didn't|did\s+not|never)\s+(?:turn|switch|power)(?:ed)?\s+on",
        "fbwontturnon",
    ),
    (r"(?:stopped|won't|doesn't|does\s+not|no\s+longer)\s+(?:charging|charges?|holds?\s+a\s+charge)", "fbnocharge"),
    (
        r"returned\s+(?:it|them|mine)|sent\s+(?:it|them|mine)\s+back|(?:had|have|going)\s+to\s+(?:return|send\s+back)\s+(?:it|them)",
        "fbreturned",
    ),
    (r"(?:wouldn't|would\s+not|won't|will\s+not)\s+buy\s+(?:it\s+|this\s+|one\s+|another\s+)?again", "fbneveragain"),
    (
        r"(?:I'd|would|will)\s+(?:definitely\s+|happily\s+)?buy\s+(?:it\s+|this\s+|another\s+|one\s+)?again",
        "fbbuyagain",
    ),
    (r"well\s+(?:made|built|designed)|well-(?:made|built|designed)", "fbwellmade"),
    (r"does\s+the\s+job", "fbdoesthejob"),
    (r"above\s+and\s+beyond", "fbaboveandbeyond"),
    (r"works\s+(?:great|perfectly|fine|well|like\s+a\s+charm)|just\s+works", "fbworksgreat"),
)

_COMPILED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])", re.IGNORECASE), marker) for pattern, marker in PHRASES
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def rewrite_phrases(text: str) -> str:
    """``text`` with each feedback phrase replaced by its marker token (case kept elsewhere,
    so VADER's capital-letter emphasis still works on the rest)."""
    out = text.translate(_APOSTROPHES)
    for pattern, marker in _COMPILED:
        out = pattern.sub(marker, out)
    return out
