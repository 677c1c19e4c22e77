"""The family record: one per family, every form joins it; access decided in one place."""
