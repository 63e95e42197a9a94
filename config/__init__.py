"""Configuration classes. Every setting can be overridden from the environment."""

from config.settings import (
    BaseConfig,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_for,
)

__all__ = ["BaseConfig", "DevelopmentConfig", "ProductionConfig", "TestingConfig", "config_for"]
