"""Google-exact robots.txt engine: parse once, check many URLs, explain every verdict."""

from seoaudit.robots_txt.matching import path_of
from seoaudit.robots_txt.parser import Key, Record
from seoaudit.robots_txt.robots import (
    GOOGLE_SIZE_LIMIT,
    Group,
    RobotsTxt,
    RobotsVerdict,
    is_allowed,
    product_token,
)

__all__ = [
    "GOOGLE_SIZE_LIMIT",
    "Group",
    "Key",
    "Record",
    "RobotsTxt",
    "RobotsVerdict",
    "is_allowed",
    "path_of",
    "product_token",
]
