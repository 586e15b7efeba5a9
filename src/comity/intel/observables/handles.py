"""``user-account``: social-media handles, ``platform:handle`` when the platform is known.

The platform comes from a profile URL (``t.me/…``, ``instagram.com/…``, ``x.com/…``,
``twitter.com/…``, ``facebook.com/…``, ``youtube.com/@…``, ``tiktok.com/@…``,
``linkedin.com/in/…``, ``threads.net/@…``) or from a ``platform:handle`` value; a bare
``@handle`` keeps its ``@``. Handles are lowercase (every platform here treats them
case-insensitively). Twitter and X are one platform, ``twitter`` (STIX's account type)::

    normalize("user-account", "https://www.instagram.com/Fake.Support_Desk/?hl=en").value
    #  'instagram:fake.support_desk'
    normalize("user-account", "x.com/RBI_Help_Desk").value     # 'twitter:rbi_help_desk'
    normalize("user-account", "@CyberDost").value              # '@cyberdost'
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from comity.intel.observables.registry import REGISTRY
from comity.intel.observables.text import clean, refang

PLATFORM_HOSTS: dict[str, str] = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "telegram.dog": "telegram",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "x.com": "twitter",
    "twitter.com": "twitter",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "youtube.com": "youtube",
    "tiktok.com": "tiktok",
    "linkedin.com": "linkedin",
    "threads.net": "threads",
}
"""Registrable domain of a profile URL -> platform name."""

HANDLE_SYNTAX: dict[str, re.Pattern[str]] = {
    "telegram": re.compile(r"[a-z][a-z0-9_]{3,31}"),
    "instagram": re.compile(r"[a-z0-9._]{1,30}"),
    "twitter": re.compile(r"[a-z0-9_]{1,15}"),
    "facebook": re.compile(r"[a-z0-9.]{5,50}|[0-9]{5,20}"),
    "youtube": re.compile(r"[a-z0-9._-]{3,30}|uc[a-z0-9_-]{22}"),
    "tiktok": re.compile(r"[a-z0-9._]{2,24}"),
    "linkedin": re.compile(r"[a-z0-9%-]{3,100}"),
    "threads": re.compile(r"[a-z0-9._]{1,30}"),
}
"""What a handle looks like on each platform (lowercase)."""

_GENERIC = re.compile(r"[a-z0-9_.](?:[a-z0-9_.-]{0,62}[a-z0-9_])?")

NOT_PROFILES: dict[str, frozenset[str]] = {
    "telegram": frozenset({"joinchat", "s", "c", "addstickers", "share", "proxy", "iv"}),
    "instagram": frozenset(
        {"p", "reel", "reels", "explore", "stories", "accounts", "tv", "direct", "about"}
    ),
    "twitter": frozenset(
        {"i", "home", "search", "share", "intent", "hashtag", "explore", "settings", "login"}
    ),
    "facebook": frozenset(
        {"pages", "groups", "events", "watch", "share", "sharer", "sharer.php", "login"}
        | {"login.php", "photo.php", "story.php", "permalink.php", "people", "marketplace"}
        | {"reel", "help", "hashtag"}
    ),
    "youtube": frozenset({"watch", "results", "shorts", "embed", "playlist", "feed"}),
    "tiktok": frozenset({"video", "tag", "discover", "music"}),
    "linkedin": frozenset({"feed", "jobs", "posts", "pulse", "learning"}),
    "threads": frozenset({"t", "search"}),
}
"""First path segments that are not profiles, per platform."""

PLATFORMS = frozenset(HANDLE_SYNTAX)
_PLATFORM_PREFIX = re.compile(r"([a-z]{1,12}):(?!//)(.*)")


def _registrable(host: str) -> str:
    parts = host.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else host


def platform_of_host(host: str) -> str | None:
    """The platform whose profile URLs live on ``host`` (``www.instagram.com`` -> instagram)."""
    return PLATFORM_HOSTS.get(_registrable(host.lower().rstrip(".")))


def handle_from_url(url: str) -> tuple[str, str] | None:
    """``(platform, handle)`` from a profile URL, or ``None`` when it is not one.

    ::

        handle_from_url("https://t.me/CBI_Desk")        # ('telegram', 'cbi_desk')
        handle_from_url("https://t.me/joinchat/AbCd")   # None (an invite, not a profile)
    """
    if "://" not in url:
        url = "https://" + url.lstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    platform = platform_of_host(parts.hostname or "")
    if platform is None:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if platform == "facebook" and segments[:1] == ["profile.php"]:
        ids = parse_qs(parts.query).get("id")
        return (platform, ids[0]) if ids else None
    if platform == "linkedin":
        if len(segments) >= 2 and segments[0] in ("in", "company"):
            return platform, segments[1].lower()
        return None
    if platform == "youtube" and len(segments) >= 2 and segments[0] in ("c", "user", "channel"):
        return platform, segments[1].lower()
    if not segments:
        return None
    first = segments[0]
    if first.lower() in NOT_PROFILES.get(platform, ()) or first.startswith("+"):
        return None
    return platform, first.removeprefix("@").lower()


@REGISTRY.register("user-account")
def normalize_handle(raw: str, country: str | None) -> tuple[str, str | None]:
    """Social-media handles: ``telegram:…``, ``instagram:…``, ``twitter:…``, else ``@…``."""
    text = refang(clean(raw)).replace(" ", "")
    lowered = text.lower()
    prefixed = _PLATFORM_PREFIX.fullmatch(lowered)
    if prefixed and prefixed.group(1) in PLATFORMS:
        platform, handle = prefixed.group(1), prefixed.group(2).removeprefix("@")
    elif "/" in text or ("." in lowered and not lowered.startswith("@")):
        found = handle_from_url(text)
        if found is None:
            return lowered, "not a profile URL of a known platform"
        platform, handle = found
    else:
        handle = lowered.removeprefix("@")
        if not _GENERIC.fullmatch(handle):
            return "@" + handle, "not a valid handle"
        return "@" + handle, None
    value = f"{platform}:{handle}"
    if not HANDLE_SYNTAX[platform].fullmatch(handle):
        return value, f"not a valid {platform} handle"
    return value, None
