"""The channels QA Grader knows and the names helpdesk exports use for them.

Kept free of pandas so that the desktop app starts without loading it.
Synonyms are matched on lower-case letters and digits only ("Live chat" -> "livechat").
"""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("phone", "email", "chat", "social", "sms")
CHANNEL_LABELS: dict[str, str] = {"phone": "Phone", "email": "Email", "chat": "Chat", "social": "Social", "sms": "SMS"}


def channel_label(channel: str) -> str:
    """How screens and charts name a channel: "Phone", "Email", "SMS" (stored names stay lower case)."""
    return CHANNEL_LABELS.get(channel, channel[:1].upper() + channel[1:])
CHANNEL_SYNONYMS: dict[str, str] = {
    **{k: "phone" for k in ("phone", "call", "calls", "voice", "telephone", "telephony",
                            "phonecall", "inboundcall", "outboundcall", "voicecall", "tel")},
    **{k: "email" for k in ("email", "emails", "mail", "emailticket", "webmail")},
    **{k: "chat" for k in ("chat", "livechat", "webchat", "messaging", "chatbot",
                           "inappchat", "instantmessage", "im")},
    **{k: "social" for k in ("social", "socialmedia", "facebook", "twitter", "instagram",
                             "linkedin", "tiktok")},
    **{k: "sms" for k in ("sms", "text", "textmessage", "txt", "mms")},
}
