"""三审三校: submitting, routing, cards and decisions of drafts."""
