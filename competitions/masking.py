"""Masking personal data for display (身份证, phone numbers, names on public lists)."""


def _mask_middle(text: str | None, keep_start: int, keep_end: int) -> str:
    if not text:
        return ""
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    hidden = len(text) - keep_start - keep_end
    return text[:keep_start] + "*" * hidden + text[len(text) - keep_end:]


def mask_id_number(number: str | None) -> str:
    """320102********1234: region code and last four kept."""
    return _mask_middle(number, 6, 4)


def mask_phone(phone: str | None) -> str:
    """138****5678."""
    return _mask_middle(phone, 3, 4)


def mask_name(name: str | None) -> str:
    """张*明; 张* for two characters; 欧**明 for four."""
    if name and len(name) == 2:
        return name[0] + "*"
    return _mask_middle(name, 1, 1)
