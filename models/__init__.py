"""Tortoise models. MODELS_MODULES is what Tortoise.init is given."""

MODELS_MODULES = ["models.org", "models.review", "models.system", "models.deadlines",
                  "models.reminders", "models.relay"]
