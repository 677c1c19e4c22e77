"""Which render lane a message goes to: a plain function of the submission's answers.

A message that carries documents (the form to the SPOC inbox, an onward
referral) costs what its documents cost to render, and that grows with how
much was written: every character of text is typeset, and every list item
(a household member, a professional, a need, an action) adds a block of
headings and rows. A referral as families and referrers really write it is a
few thousand characters and renders in well under a second; the largest the
API accepts is hundreds of times that and renders for tens of seconds. If the
two share one queue, one large submission holds up every normal referral
behind it (issue 14: after 20 of them a normal EHFSA took 253 s to arrive).

So a message whose answers are larger than ``FORMS_SLOW_LANE_CHARS`` goes to
the slow lane: its own Celery queue in scale-out, its own delivery thread and
its own lower-priority render process in the embedded mode. A normal
referral is then never queued behind a large one; the large one is still
delivered, only later. Messages without documents always go in the normal
lane: an acknowledgement costs the same whatever the family wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NORMAL = "normal"
SLOW = "slow"
LANES = (NORMAL, SLOW)
#: The render processes' niceness per lane: both below the web threads (a page a
#: user is waiting for comes first), the slow lane below the normal one.
NICENESS = {NORMAL: 10, SLOW: 19}
#: What one list item weighs, in characters: its headings, labels and table rows
#: take about three lines of print, whatever its answers say.
ITEM_CHARACTERS = 200
#: The default threshold, in characters: about 12 pages of A4 text. A realistic
#: referral (6 people, 2 needs, 2 professionals) is 3,000 to 6,000; the largest
#: the API accepts is several hundred thousand. A submission between the two is
#: rare and renders in a few seconds, so where exactly the line falls matters
#: less than that it lies far above what families really write.
DEFAULT_SLOW_LANE_CHARS = 40_000


def answer_size(answers: Any) -> int:
    """Characters of every text answer, plus :data:`ITEM_CHARACTERS` per list item
    (an item of a repeating group; a ticked box of a multiple choice is only its text).

    A plain walk over the stored answers (dicts, lists, strings): no form
    definition is needed, so the size of a submission is the same whichever
    form it is and whichever process asks.
    """
    if isinstance(answers, str):
        return len(answers)
    if isinstance(answers, Mapping):
        return sum(answer_size(value) for value in answers.values())
    if isinstance(answers, list | tuple):
        return sum(
            answer_size(item) + (ITEM_CHARACTERS if isinstance(item, Mapping) else 0)
            for item in answers
        )
    return 0


def lane_for(answers: Mapping[str, Any], threshold: int) -> str:
    """:data:`SLOW` for answers larger than ``threshold`` characters, else :data:`NORMAL`."""
    return SLOW if answer_size(answers) > threshold else NORMAL
