"""The staff workspace: clocks, referrals, outcomes, allocation."""
