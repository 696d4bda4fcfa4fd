"""Scorecard JSON: lossless round trip and a clear message for every kind of bad file."""

from __future__ import annotations

import copy
import json

import pytest

from qagrader.core.errors import ScorecardError
from qagrader.core.scorecards.model import (
    scorecard_from_dict,
    scorecard_from_json,
    scorecard_to_dict,
    scorecard_to_json,
)

from tests.samples import EXAMPLE


def test_issue_example_round_trips_losslessly():
    text = json.dumps(EXAMPLE)
    card = scorecard_from_json(text)
    again = scorecard_from_json(scorecard_to_json(card))
    assert again == card
    assert scorecard_to_dict(again) == scorecard_to_dict(card)
    assert card.skills == ("Empathy", "Friendly tone", "Wrong customer name", "Accuracy")
    assert scorecard_to_dict(card)["sections"][0]["questions"][0] == EXAMPLE["sections"][0]["questions"][0]


def _broken(path: list, value) -> dict:
    data = copy.deepcopy(EXAMPLE)
    target = data
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


BAD_CASES = [
    (["sections", 0, "questions", 1, "type"], "stars",
     "sections[0].questions[1].type: unknown type 'stars'; use one of yes_no, scale, options"),
    (["sections", 1, "questions", 0, "key"], "empathy",
     "sections[1].questions[0].key: duplicate key 'empathy' (also at sections[0].questions[0].key)"),
    (["sections", 0, "questions", 0, "weight"], -2,
     "sections[0].questions[0].weight: must not be negative (-2)"),
    (["sections", 0, "questions", 1, "min"], 5,
     "sections[0].questions[1].min: min (5) must be less than max (5)"),
    (["sections", 0, "questions", 2, "options"], [{"label": "Yes"}, {"label": "No", "points": 0}],
     "sections[0].questions[2].options[0].points: every option needs points"),
    (["sections", 0, "questions", 2, "options"], [{"label": "Yes", "points": 0}, {"label": "No", "points": 0}],
     "sections[0].questions[2].options: at least one option must give points"),
    (["na_policy"], "ignore", "na_policy: must be one of exclude, pass, not 'ignore'"),
    (["sections", 0, "questions", 0, "wieght"], 2, "sections[0].questions[0].wieght: unknown field"),
    (["sections", 0, "name"], KeyError, "sections[0].name: is required"),
    (["sections"], [], "sections: must be a non-empty list"),
    (["sections", 0, "questions", 3, "options", 1, "auto_fail"], "team",
     "sections[0].questions[3].options[1].auto_fail: must be 'section' or 'all'"),
    (["sections", 0, "weight"], 50, "sections[1].weight: give every section a weight, or none of them"),
    (["sections", 0, "questions", 0, "key"], "tone.comment",
     "sections[0].questions[0].key: 'tone.comment' may not end in '.comment' (comment columns are named so)"),
    (["sections", 0, "questions", 0, "key"], "Score",
     "sections[0].questions[0].key: 'Score' is a reserved column name"),
    (["sections", 0, "questions", 0, "key"], "bad key!",
     "sections[0].questions[0].key: 'bad key!' may use only letters, digits, '_', '.' and '-'"),
]


@pytest.mark.parametrize("path, value, message", BAD_CASES)
def test_bad_scorecards_name_the_field(path, value, message):
    with pytest.raises(ScorecardError) as error:
        scorecard_from_dict(_broken(path, value))
    assert str(error.value) == message


def test_malformed_json_names_line_and_column():
    with pytest.raises(ScorecardError) as error:
        scorecard_from_json('{"name": "x",\n "sections": [}')
    assert str(error.value).startswith("not valid JSON (line 2, column")
