"""机审: the machine pre-review inside the review flow and its chat commands."""
