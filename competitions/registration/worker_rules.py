"""The rules of a worker's typed details: the profile forms and the spreadsheet import both use
these, and each maximum is its column's size in the `workers` or `organisations` table."""

from competitions.field_rules import TextRule

NAME = TextRule(50, required=True)
ID_NUMBER = TextRule(40, required=True)  # 18 once normalised; the parser says what is wrong
PHONE = TextRule(20)
SKILL_LEVEL = TextRule(100)  # the form offers a list; the import matches the text against it
SKILL_CERTIFICATE_NO = TextRule(32)
EMPLOYER_NAME = TextRule(200, required=True)
