"""A program with one person of every kind around it, for the incident and quick-exit tests.

Callers: anonymous, `outsider` (no relation), `applicant` (pending), `accepted` and
`accepted2` (accepted participants), `facilitator`, `coordinator`, `owner`, `custodian`
(of the program's organization) and `other_staff` (owner of another organization).
"""

from types import SimpleNamespace

from exchanges.incidents import services
from exchanges.models import Incident
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    program_with_sides,
)

CALLERS = ("anonymous", "outsider", "applicant", "accepted", "facilitator", "coordinator",
           "owner", "custodian", "other_staff")


def build(*, custodian: bool = True) -> SimpleNamespace:
    org = OrganizationFactory(name="Bridges", slug="bridges")
    other_org = OrganizationFactory(name="Elsewhere", slug="elsewhere")
    program = program_with_sides("North", "South", organization=org, title="Nicosia circle")
    north, south = program.sides.all()
    people = {name: UserFactory(display_name=name.replace("_", " ").title(),
                                email=f"{name}@example.org")
              for name in CALLERS[1:] + ("accepted2",)}
    for name, role in (("facilitator", "facilitator"), ("coordinator", "coordinator"),
                       ("owner", "owner")):
        MembershipFactory(organization=org, user=people[name], role=role)
    if custodian:
        MembershipFactory(organization=org, user=people["custodian"], role="custodian")
    MembershipFactory(organization=other_org, user=people["other_staff"], role="owner")
    ApplicationFactory(program=program, side=north, applicant=people["applicant"])
    ApplicationFactory(program=program, side=north, applicant=people["accepted"],
                       status="accepted")
    ApplicationFactory(program=program, side=south, applicant=people["accepted2"],
                       status="accepted")
    return SimpleNamespace(org=org, other_org=other_org, program=program, people=people)


def report(w: SimpleNamespace, reporter: str = "accepted", **fields) -> Incident:
    fields = {"kind": "harassment", "description": "Insults after the circle.", **fields}
    return services.incident_report(program=w.program, reporter=w.people[reporter], **fields)
