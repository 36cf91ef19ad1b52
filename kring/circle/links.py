"""Personal links: a participant's way into their own page, without an account.

The token is 256 bits from ``secrets``; only its SHA-256 hash is stored, so a database copy
opens nothing and no staff member can ever read a link. Opening a link (GET) changes nothing:
mail scanners open links too.

**Every message carries its own new link, and the earlier ones keep working.** People reopen
the first email (the information, the invitation), not the newest, so a new message must not
kill the link in an older one. The alternative — one link per person, sent again with every
message — would need the token kept readable somewhere, so that a staff member or a database
copy could open anyone's page; with only the hash stored, "sending again" means a new token.
A link stops working when

- it expires (``KRING_LINK_DAYS`` after it was issued);
- the case ends (``revoke_case``);
- the person says no (``revoke_on_no``): every link of theirs stops, except one way back — the
  link they used to say no on their own page, or, when staff record a no given to them, the
  newest valid one — because the page promises "if you change your mind, you can say so here"
  and only they can change a no. Nothing more is sent to them, and a request for a new link
  on the "link not valid" page passes them by;
- staff revoke the person's links, with a reason (``revoke_by_staff``): a letter went to a
  wrong address, a phone was lost.

A printed letter's link also gets a short code (``issue_for_letter``): ten characters from an
alphabet without 0/O/1/I/L, printed as XXXXX-XXXXX, to type at ``/code/`` by someone who cannot
copy a 43-character address. About 50 bits, so the code page is limited hard per client; the
code is stored only as an HMAC with the secret key, so a database copy alone cannot be searched
for it (changing ``SECRET_KEY`` therefore stops printed codes, not the printed links). A typed
code opens a new link that expires with the letter's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from kring.accounts.models import User
from kring.cases.models import Case, CaseAction
from kring.circle.models import Participant, PersonalLink, hash_token
from kring.core.prepared import Prepared

# No 0/O, 1/I/L: what a person reads off paper, they can type back.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def issue(
    participant: Participant,
    purpose: str = PersonalLink.Purpose.PORTAL,
    *,
    expires_at: dt.datetime | None = None,
    code: str = "",
) -> str:
    """A new link for ``participant``; returns the token (shown or sent once, never stored).

    Earlier links stay valid."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    default_expiry = now + dt.timedelta(days=settings.KRING_LINK_DAYS)
    PersonalLink.objects.create(
        participant=participant,
        purpose=purpose,
        token_hash=hash_token(token),
        code_hash=hash_code(code) if code else None,
        created_at=now,
        expires_at=min(expires_at, default_expiry) if expires_at else default_expiry,
    )
    return token


def issue_for_letter(participant: Participant) -> tuple[str, str]:
    """A new link for a printed letter: (token, code), the code grouped as XXXXX-XXXXX."""
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                token = issue(participant, code=code)
        except IntegrityError:  # a code drawn twice (31^10 possible): draw again
            continue
        return token, format_code(code)
    raise RuntimeError("No unique letter code after five draws.")


def format_code(code: str) -> str:
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(typed: str) -> str | None:
    """The code as stored, from what someone typed (any case, spaces or dashes); None if it
    cannot be a code."""
    if len(typed) > 40:
        return None
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def hash_code(code: str) -> str:
    """Keyed: 50 bits would fall to a search through a plain hash of a database copy."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"kring-letter-code:" + code.encode(), hashlib.sha256).hexdigest()


def _usable(link: PersonalLink | None) -> PersonalLink | None:
    if link is None or not link.is_valid() or link.participant.case.is_finished:
        return None
    return link


# Every own page starts here: its SQL written once per process (kring.core.prepared). The
# region too: the page shows its office (kring.core.contact). By the unique hash, without an
# ordering.
_BY_TOKEN = Prepared(
    lambda token_hash, purpose: (
        PersonalLink.objects.select_related("participant__case__region")
        .filter(token_hash=token_hash, purpose=purpose)
        .order_by()
    ),
    str,
    str,
)


def resolve(token: str, purpose: str = PersonalLink.Purpose.PORTAL) -> PersonalLink | None:
    """The valid link for this token, or None (unknown, expired, revoked, other purpose)."""
    if not token or len(token) > 100:
        return None
    found = _BY_TOKEN(hash_token(token), str(purpose))
    return _usable(found[0]) if found else None


def open_with_code(typed: str) -> str | None:
    """A new token for the page that the letter with this code opens, or None (not a code,
    unknown, expired, revoked, case ended). The new link expires with the letter's."""
    code = normalise_code(typed)
    if code is None:
        return None
    link = _usable(
        PersonalLink.objects.select_related("participant", "participant__case")
        .filter(code_hash=hash_code(code))
        .first()
    )
    if link is None:
        return None
    return issue(link.participant, link.purpose, expires_at=link.expires_at)


def mark_used(link: PersonalLink) -> None:
    """A form on the own page was sent with this link: when it was last used."""
    PersonalLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())


def _valid(participant: Participant) -> QuerySet[PersonalLink]:
    return PersonalLink.objects.filter(
        participant=participant, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def valid_links(participant: Participant) -> QuerySet[PersonalLink]:
    """The participant's links that still open their page, newest first."""
    return _valid(participant).order_by("-created_at", "-pk")


def revoke(participant: Participant) -> int:
    """Stop every link of ``participant`` (no reason recorded: see ``revoke_by_staff``)."""
    return PersonalLink.objects.filter(participant=participant, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def revoke_on_no(participant: Participant, *, keep: PersonalLink | None = None) -> int:
    """The person said no: stop their links but one, the way back to change their mind —
    ``keep`` (the link they used), else the newest valid one. Returns how many stopped."""
    if keep is None:
        keep = valid_links(participant).first()
    links = PersonalLink.objects.filter(participant=participant, revoked_at__isnull=True)
    if keep is not None:
        links = links.exclude(pk=keep.pk)
    return links.update(revoked_at=timezone.now())


def revoke_by_staff(participant: Participant, *, reason: str, user: User) -> int:
    """Staff stop every link of ``participant``, with a reason; recorded on the case."""
    with transaction.atomic():
        count = PersonalLink.objects.filter(
            participant=participant, revoked_at__isnull=True
        ).update(revoked_at=timezone.now(), revoked_reason=reason[:200], revoked_by=user)
        participant.case.log(
            CaseAction.PARTICIPANT_LINKS_REVOKED,
            user=user,
            reason=reason,
            data={"participant": participant.pk, "links": count},
        )
    return count


def revoke_case(case: Case) -> int:
    """Revoke every link of a case (when it closes)."""
    return PersonalLink.objects.filter(participant__case=case, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('portal', args=[token])}"


def code_url() -> str:
    """Where a letter's code is typed in."""
    return f"{settings.SITE_URL}{reverse('portal_code')}"
