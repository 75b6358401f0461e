"""Tortoise models. MODELS_MODULES is what Tortoise.init is given."""

MODELS_MODULES = ["models.org", "models.review", "models.system", "models.deadlines",
                  "models.dingtalk_state", "models.channel_state", "models.registry",
                  "models.precheck", "models.reminders", "models.relay",
                  "models.secrets", "models.files", "models.intake",
                  "models.followups", "models.duty", "models.staff", "models.website"]
