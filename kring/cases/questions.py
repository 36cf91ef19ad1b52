"""The open-question check: warnings (never blocks) on a conference question as written.

Rule-based, in Dutch or English: the text is split into sentences, casefolded and stripped of
quotes and punctuation, then matched against word lists and regular expressions.
- closed: a clause opens with a finite verb ("Moet…", "Kan…", "Should…", "Is…"; also after
  "Na de ruzie: …" or "After the incident, …"), says "wel of niet"/"or not", or offers a choice
  ("Wat is beter: A of B?").
- steering: it names a solution: removing or punishing people (verhuizen, schorsen, evict…), a
  measure (camera's, hek, police…) or pressure/means ("zover krijgen", "get X to", "door … te",
  "by installing"). A negation just before ("niemand hoeft te verhuizen") lifts it.
- not_a_question: the text has no question mark."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CLOSED = "closed"
STEERING = "steering"
NOT_A_QUESTION = "not_a_question"


@dataclass(frozen=True)
class QuestionWarning:
    code: str  # "closed" | "steering" | "not_a_question"
    message: Promise


MESSAGES: dict[str, Promise] = {
    CLOSED: _(
        "This is a yes/no question or a choice between given options. Open questions "
        "(How…, What…, Who…) leave room for the circle's own plan."
    ),
    STEERING: _(
        "This question already points to a solution, such as someone having to leave, a "
        "punishment or a specific measure. Name what has to change and leave the way there to "
        "the circle, for example: What is needed so that everyone feels safe again?"
    ),
    NOT_A_QUESTION: _(
        "This does not read as a question yet. Write it as an open question (How…, What…, "
        "Who…) that ends with a question mark."
    ),
}

GOOD_EXAMPLES: dict[str, list[str]] = {
    "nl": [
        "Hoe kan de overlast in de Molenstraat stoppen?",
        "Wat is er nodig zodat iedereen zich weer veilig voelt op het plein?",
        "Wat is er nodig zodat Daan weer met plezier naar school gaat?",
        "Hoe kunnen we de zorg voor oma samen goed regelen?",
        "Wat is er nodig om het vertrouwen in het team na het incident te herstellen?",
    ],
    "en": [
        "How can the nuisance in Mill Street stop?",
        "What is needed so that everyone feels safe on the square again?",
        "What is needed so that Daan enjoys going to school again?",
        "How can we organise the care for Grandma well together?",
        "What is needed to restore trust in the team after the incident?",
    ],
}

# --- Language -------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    """A word list written as one string, separated by whitespace."""
    return frozenset(text.split())


# Function words of one language only ("in", "is", "we", "of", "was" are in both).
DUTCH_WORDS = _words(
    """
    de het een en van dat die niet hoe wat wie welke waar wanneer waarom zijn er op te met voor naar
    om zodat weer nog ook bij uit aan door hij zij ze wij jullie ik je ons onze kan kunnen moet
    moeten mag mogen wil willen wordt worden heeft hebben zich geen niemand iedereen nodig samen als
    nu meer alle doen gaat krijgen
    """
)
ENGLISH_WORDS = _words(
    """
    the a an and to that this it are how what who which where when why can could should would will
    do does did for with on at by from not no our their they he she you his her them be been has
    have so again get make need needed needs still there all after or than its into must
    """
)


def detect_language(text: str) -> str:
    """Return "nl" or "en" by counting each language's function words; "nl" on a tie."""
    words = _normalise(text).split()
    dutch = sum(word in DUTCH_WORDS for word in words)
    english = sum(word in ENGLISH_WORDS for word in words)
    return "en" if english > dutch else "nl"


# --- Normalisation --------------------------------------------------------------------------

QUOTES = "\"'`´‘’‚‛“”„‟«»‹›"
SENTENCE_END = re.compile(r"(?<=[?!.…])\s+")
CLAUSE_MARK = re.compile(r"\s*([,;:])\s*")
NON_WORD = re.compile(r"[^\w\s,;:]+")


def _normalise(text: str) -> str:
    """Casefold; drop quotes and apostrophes ("camera's" → "cameras"); keep , ; : as tokens;
    every other mark becomes a space."""
    text = text.casefold()
    for quote in QUOTES:
        text = text.replace(quote, "")
    text = NON_WORD.sub(" ", text)
    text = CLAUSE_MARK.sub(r" \1 ", text)
    return " ".join(text.split())


def _sentences(text: str) -> list[str]:
    return [s for s in (_normalise(part) for part in SENTENCE_END.split(text)) if s]


# --- Closed questions -----------------------------------------------------------------------

QUESTION_WORDS = {
    "nl": _words(
        """
        hoe wat wie wiens welke welk waar wanneer waarom waardoor waarmee waarvoor waaraan waarover
        waarbij waarin waarop waarheen hoeveel hoelang
        """
    ),
    "en": _words("how what who whom whose which where when why"),
}

FINITE_VERBS = {
    "nl": _words(
        """
        is zijn ben bent was waren wordt worden word werd werden heeft hebben heb hebt had hadden
        moet moeten moest moesten kan kunnen kun kunt kon konden mag mogen mocht mochten wil willen
        wilt wilde wilden wou zal zullen zult zou zouden doet doen deed deden gaat gaan ging gingen
        komt komen kwam kwamen blijft blijven krijgt krijgen kreeg weet weten wist vindt vinden vond
        voelt voelen helpt helpen lukt lukken klopt kloppen past passen durft durven hoort horen
        staat staan ziet zien begrijpt begrijpen snapt hoeft hoeven maakt maken houdt houden werkt
        werken denkt denken verdient verdienen
        """
    ),
    "en": _words(
        """
        is are am was were do does did can could should shall will would may might must has have had
        ought isnt arent wasnt werent dont doesnt didnt cant cannot couldnt shouldnt wont wouldnt
        mustnt hasnt havent hadnt
        """
    ),
}

# Dutch inversion with any verb: "Vertrekt de familie…?", "Helpt het als…?"
DUTCH_SUBJECTS = _words(
    """
    de het een hij zij ze we wij jullie u er iemand iedereen niemand dit dat deze die onze mijn zijn
    haar hun jouw je jij
    """
)
NOT_VERBS_ENDING_IN_T = _words(
    """
    met niet want dat wat het tot net echt recht licht eerst laatst meest nooit ooit toch thuis
    opeens slecht straat feit punt
    """
)

YES_OR_NO = {
    "nl": re.compile(r"\bwel of niet\b|\bof niet\b"),
    "en": re.compile(r"\bor not\b"),
}
# "Wat is beter: A of B?" — an "or" with a comparative or after a colon.
EITHER_OR = {
    "nl": (re.compile(r"\bof\b"), re.compile(r"\b(?:beter|best|liever|verstandiger)\b|:")),
    "en": (re.compile(r"\bor\b"), re.compile(r"\b(?:better|best|rather|prefer\w*)\b|:")),
}


def _starts_closed(segment: list[str], language: str) -> bool | None:
    """True if the clause opens with a finite verb, False if with a question word, else None."""
    if not segment:
        return None
    first = segment[0]
    if first in QUESTION_WORDS[language]:
        return False
    if first in FINITE_VERBS[language]:
        return True
    if (
        language == "nl"
        and len(first) > 3
        and first.endswith("t")
        and first not in NOT_VERBS_ENDING_IN_T
        and len(segment) > 1
        and segment[1] in DUTCH_SUBJECTS
    ):
        return True
    return None


def _is_closed(sentence: str, language: str) -> bool:
    if YES_OR_NO[language].search(sentence):
        return True
    # After a colon comes the question itself ("Na de ruzie: kunnen…?"); within it, the first
    # clause that opens with a question word or a finite verb decides.
    question = sentence.rsplit(":", 1)[-1]
    for clause in re.split(r"[,;]", question):
        verdict = _starts_closed(clause.split(), language)
        if verdict is not None:
            if verdict:
                return True
            break
    conjunction, choice = EITHER_OR[language]
    return bool(conjunction.search(sentence) and choice.search(sentence))


# --- Steering -------------------------------------------------------------------------------

STEERING_PATTERNS = {
    "nl": [
        # Removing, excluding or punishing people.
        r"vertrek\w*|vertrokken|verhuis\w*|verhuiz\w*",
        r"weg(?:ge)?(?:ga|gaan|gaat|gegaan|stuur\w*|stur\w*|jaag\w*|jag\w*|haal\w*|hal\w*|pest\w*"
        r"|doe\w*|daan|blijf\w*|blijv\w*|bleven)",
        r"(?<!\bop )(?<!\been )(?<!\bde )(?<!\bdie )(?<!\bdeze )(?<!\bonze )(?<!\bhun )"
        r"(?<!\beigen )(?<!\bgoede )(?<!\bandere )(?<!\bzijn )(?<!\bhaar )(?<!\bwelke )weg",
        r"verwijder\w*|uit(?:ge)?zet\w*|uithuis\w*",
        r"uit (?:huis|het huis|de woning) (?:te |worden |wordt |moet |moeten )?"
        r"(?:ge)?(?:ga|zet|plaats|haal|stuur|stur)\w*",
        r"van (?:de )?school (?:\w+ )?(?:ge)?stu(?:ur|r)\w*",
        r"schors\w*|geschorst|ontsla\w*|ontslag\w*",
        r"straf\w*|gestraft|bestraf\w*|boete\w*",
        r"verbied\w*|verbod\w*|verboden|\w+verbod\w*",
        r"uitsluit\w*|uitgesloten|buitensluit\w*|buitengesloten|weren|geweerd|weert",
        r"opsluit\w*|opgesloten|arrest\w*|aangifte\w*",
        r"ergens anders|elders|overplaats\w*",
        r"andere? (?:school|klas|afdeling|woning|huis|plek|baan)",
        # A concrete measure.
        r"\w*camera\w*|\w*hek(?:ken|je|jes|werk)?|handhav\w*|handhaaf\w*|politie\w*|boas?",
        r"beveiliger\w*|avondklok|blauw op straat",
        # Pushing people or naming the means.
        r"(?<!\bvoor )zover|zo ver krijg\w*|overtuig\w*|dwing\w*|gedwongen|onder druk",
        r"verplicht\w*|door middel van|door (?:\w+ ){0,5}te \w+",
    ],
    "en": [
        # Removing, excluding or punishing people.
        r"leav(?:e|es|ing)(?! (?:room|space|alone)\b)(?!(?: \w+){0,3} behind\b)",
        r"mov(?:e|es|ed|ing) (?:out|away|house|elsewhere)|relocat\w*",
        r"evict\w*|expel\w*|expulsion|suspen(?:d|ds|ded|ding|sion)|transferr?\w*",
        r"fired|firing|dismiss\w*|sacked|sacking",
        r"(?:to|should|must|can|could|will|would|we|they|just) fire",
        r"punish\w*|penal\w*|ban|bans|banned|banning|banish\w*",
        r"fined|fines|a fine|fine (?:him|her|them)",
        r"get(?:ting)? rid of|(?:kick|throw)\w* out|thrown out|threw out|remov\w*",
        r"exclu(?:de|des|ded|ding|sion)|lock\w* up|arrest\w*|report\w* (?:\w+ )?to the police",
        r"elsewhere|somewhere else|go away|get out|stay away",
        r"(?:another|a different) (?:school|class|department|house|home|job|place|team)",
        # A concrete measure.
        r"\w*camera\w*|cctv|fenc(?:e|es|ing)|enforc\w*|police\w*|security guards?|curfews?",
        r"(?:restraining|banning) orders?|injunctions?",
        # Pushing people or naming the means.
        r"get(?:ting)? (?!used\b|back\b|home\b|out\b|through\b|along\b|together\b|round\b"
        r"|around\b|in\b|into\b|to\b)(?:\w+ ){1,4}to \w+",
        r"make (?!sure\b|certain\b)(?:\w+ ){1,3}(?:leave|go|move|pay|quit|apologi[sz]e)",
        r"convinc\w*|persuad\w*|(?<!\bjoin )forc(?:e|ed|ing)|compel\w*",
        r"put(?:ting)? pressure on|pressur(?:ed|ise\w*|ize\w*)",
        r"by means of|by \w+ing",
    ],
}
STEERING_RULES = {
    language: re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b")
    for language, patterns in STEERING_PATTERNS.items()
}

# A negation shortly before a steering word in the same clause lifts it: "zodat niemand hoeft
# te verhuizen", "so that no one has to move out", "hoe voorkomen we dat…".
NEGATIONS = {
    "nl": _words("niet geen niemand nooit zonder hoeft hoeven nergens niets voorkomen"),
    "en": _words(
        """
        not no nobody never without none neither prevent avoid dont doesnt didnt cant wont isnt
        arent shouldnt
        """
    ),
}
CLAUSE_BOUNDARIES = _words(", ; : en maar of and but or")
NEGATION_REACH = 8


def _negated(before: str, language: str) -> bool:
    for distance, word in enumerate(reversed(before.split())):
        if word in CLAUSE_BOUNDARIES or distance >= NEGATION_REACH:
            return False
        if word in NEGATIONS[language]:
            return True
    return False


def _is_steering(sentence: str, language: str) -> bool:
    return any(
        not _negated(sentence[: match.start()], language)
        for match in STEERING_RULES[language].finditer(sentence)
    )


# --- The check ------------------------------------------------------------------------------


def check_question(text: str, language: str | None = None) -> list[QuestionWarning]:
    """The warnings for a conference question, each code at most once, in a fixed order."""
    if not _normalise(text).replace(",", "").replace(";", "").replace(":", "").strip():
        return []
    if language is None:
        language = detect_language(text)
    language = "en" if language.casefold().startswith("en") else "nl"

    sentences = _sentences(text)
    codes = []
    if any(_is_closed(sentence, language) for sentence in sentences):
        codes.append(CLOSED)
    if any(_is_steering(sentence, language) for sentence in sentences):
        codes.append(STEERING)
    if "?" not in text and "？" not in text:
        codes.append(NOT_A_QUESTION)
    return [QuestionWarning(code, MESSAGES[code]) for code in codes]
