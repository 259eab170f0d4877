"""Identity protection: custodians reveal a protected person, one at a time, with a reason.

The rule for who sees personal data lives in exchanges.selectors
(`personal_data_organizations`); the roles in exchanges.models (`READER_ROLES`,
`REVEALER_ROLES`, `PROTECTED_APPLICANT_FIELDS`).
"""
