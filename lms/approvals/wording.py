"""The words the request pages use: the address of each kind, its title and policy line, the
buttons, the platforms and standard conditions, and who the approver is to the person asking.

Kept apart from the rules so that rewording a page never touches a decision. `relation` looks
at roles only to choose words ("your headteacher"); who may decide is routing's and access's.
"""

from __future__ import annotations

from lms.models import Person, RequestKind, Role

K = RequestKind

# The word in the address (/requests/new/<word>) for each kind.
KINDS = {"business-use": K.business_use, "media-enquiry": K.media_enquiry, "reference": K.reference,
         "misuse-report": K.misuse_report}
POLICY = {
    K.business_use: "Policy 5.1: before you speak for the school or the trust on social media, your manager must "
                    "approve it, and may require training first and set conditions.",
    K.media_enquiry: "Policy 5.2: an enquiry for comment about the school or trust goes to the headteacher or the "
                     "CEO, and you must not respond without their written approval.",
    K.reference: "Policy 2.2 and 2.3: a professional reference on behalf of the school or the trust needs the "
                 "express authority of the headteacher (school staff) or the CEO (central team).",
    K.misuse_report: "Policy 4.5 and 6.5: report misuse of social media, or content that disparages the school or "
                     "the trust, to the headteacher or the CEO.",
}
TITLES = {
    K.business_use: "Ask to speak for the school or trust on social media",
    K.media_enquiry: "Record a media enquiry",
    K.reference: "Ask for authority to give a reference",
    K.misuse_report: "Report misuse or disparaging content",
}
BUTTONS = {"approve": "Approve", "decline": "Decline", "require_training": "Require training first",
           "revoke": "Revoke", "withdraw": "Withdraw my request", "mark_answered": "Mark as answered",
           "close": "Close the report"}

PLATFORMS = {
    "facebook": "Facebook",
    "twitter": "X (Twitter)",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "whatsapp": "WhatsApp",
    "blog": "A blog",
    "youtube": "YouTube",
    "other": "Another platform (say which under accounts)",
}

# The standard conditions an approver can tick on a business use; the service refuses any other.
CONDITION_FLAGS = {
    "no_pupil_images": "No images of pupils",
    "no_pupil_names": "No pupils' names",
    "official_account_only": "Official account only",
    "school_devices_only": "Post only from school devices",
    "posts_checked_first": "Posts checked by the approver before publishing",
}


def relation(kind: RequestKind, approver: Person, requester: Person) -> str:
    """Who the approver is to the person asking, in words (as the policy names them for this kind)."""
    manager = approver.id == requester.line_manager_id
    if kind is K.business_use and manager:
        return "your line manager"
    if approver.has_role(Role.headteacher) and approver.unit_id == requester.unit_id:
        return "your headteacher"
    if approver.has_role(Role.ceo):
        return "the Chief Executive Officer"
    return "your line manager" if manager else "the approver"
