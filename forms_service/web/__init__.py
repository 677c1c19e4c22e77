"""The web front end: GOV.UK Design System pages over the engine."""
