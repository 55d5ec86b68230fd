"""What each role of the cast (conftest.py) may see: the single table both access tests read."""

EXPECTED_SCHOOLS = {
    "regional": {"school", "sibling", "neighbour_school"},
    "analyst": {"school", "sibling", "neighbour_school"},
    "municipal": {"school", "sibling"},
    "methodist": {"school", "sibling"},
    "curator": {"school"},
    "school": {"school"},
    "director": {"school"},
    "admin": {"school", "sibling", "neighbour_school", "far_school"},
    "outsider": {"far_school"},
}
EXPECTED_MUNICIPALITIES = {
    "regional": {"municipality", "neighbour"},
    "analyst": {"municipality", "neighbour"},
    "municipal": {"municipality"},
    "methodist": {"municipality"},
    "curator": set(),
    "school": set(),
    "director": set(),
    "admin": {"municipality", "neighbour", "far"},
    "outsider": {"far"},
}
