"""Conflict of interest: a judge never marks an entrant from their own unit, nor from any unit
of the same enterprise (an enterprise group's subsidiaries count as one).

Pure functions over each person's chain of organisations, root first, as (id, is_enterprise).
"""

from collections.abc import Collection, Sequence

Chain = Sequence[tuple[int, bool]]


def enterprise_of(chain: Chain) -> int:
    """The topmost enterprise in the chain (the group), or the unit itself if none."""
    for org_id, is_enterprise in chain:
        if is_enterprise:
            return org_id
    return chain[-1][0]


SAME_UNIT = "unit"
SAME_ENTERPRISE = "enterprise"


def conflict_reason(judge_chain: Chain, entrant_chain: Chain) -> str | None:
    """SAME_UNIT or SAME_ENTERPRISE when the judge may not mark the entrant, else None."""
    if not judge_chain or not entrant_chain:
        return None
    if judge_chain[-1][0] == entrant_chain[-1][0]:
        return SAME_UNIT
    if enterprise_of(judge_chain) == enterprise_of(entrant_chain):
        return SAME_ENTERPRISE
    return None


def in_conflict(judge_chain: Chain, entrant_chain: Chain) -> bool:
    """True when the judge and the entrant work for the same unit or the same enterprise."""
    return conflict_reason(judge_chain, entrant_chain) is not None


def eligible_judges(judge_chains: dict[int, Chain], entrant_chains: Sequence[Chain]) -> set[int]:
    """Judges (by id) free of conflict with every member of an entry (a team has several)."""
    return {judge for judge, chain in judge_chains.items()
            if not any(in_conflict(chain, member) for member in entrant_chains)}


def allocate_panel(seated: Sequence[int], panel_size: int, excluded: Collection[int]) -> list[int]:
    """The judges who mark: the first `panel_size` seated judges who are not excluded, so a
    reserve steps in for a judge in conflict. Fewer than `panel_size` means a staffing gap."""
    return [judge for judge in seated if judge not in excluded][:panel_size]
