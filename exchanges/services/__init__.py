"""Every state change of organizations, memberships, programs and applications.

Each function takes keyword arguments, runs in one transaction and writes the
activity log. Field errors raise Django's ValidationError (a dict naming the
field); state conflicts raise core.errors.Conflict with the API's code.
"""

from exchanges.services.applications import (
    TRANSITIONS,
    SideSeats,
    application_accept,
    application_decline,
    application_submit,
    application_waitlist,
    application_withdraw,
    seats_per_side,
    side_seats,
    unfillable_seats,
)
from exchanges.services.guardians import (
    application_by_guardian_token,
    guardian_consent_decide,
)
from exchanges.services.invitations import (
    invitation_accept,
    invitation_by_token,
    invitation_decline,
    invitation_revoke,
    membership_invite,
)
from exchanges.services.organizations import (
    membership_change_role,
    membership_end,
    membership_remove,
    organization_create,
    organization_update,
)
from exchanges.services.programs import (
    PROGRAM_FIELDS,
    SideSpec,
    program_archive,
    program_close,
    program_create,
    program_delete,
    program_publish,
    program_update,
)

__all__ = [
    "PROGRAM_FIELDS", "TRANSITIONS", "SideSeats", "SideSpec", "application_accept",
    "application_decline", "application_submit", "application_waitlist",
    "application_withdraw", "application_by_guardian_token", "guardian_consent_decide",
    "invitation_accept", "invitation_by_token", "invitation_decline",
    "invitation_revoke", "membership_change_role", "membership_end", "membership_invite",
    "membership_remove",
    "organization_create", "organization_update", "program_archive", "program_close",
    "program_create", "program_delete", "program_publish", "program_update", "seats_per_side",
    "side_seats", "unfillable_seats",
]
