"""HTTP endpoints of the account API, grouped by what they serve."""
