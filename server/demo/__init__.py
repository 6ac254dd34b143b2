"""The deterministic demo data set with its ground truth."""

from server.demo.generate import KINDS, DemoData, generate
from server.demo.load import database_is_empty, load_demo, load_demo_if_empty

__all__ = ["KINDS", "DemoData", "database_is_empty", "generate", "load_demo",
           "load_demo_if_empty"]
