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

from qagrader.core.storage.workspace import Workspace
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


def _card(name: str, polarity: str, skill: str = "Negative tone") -> dict:
    return {"name": name, "sections": [{"name": "S", "questions": [
        {"key": "tone", "text": "Avoided a negative tone", "skill": skill, "type": "yes_no", "polarity": polarity},
        {"key": "empathy", "text": "Empathy", "skill": "Empathy", "type": "yes_no"}]}]}


def test_polarity_is_read_written_and_checked():
    card = scorecard_from_dict(_card("A", "negative"))
    assert card.question("tone").polarity == "negative" and card.question("empathy").polarity == "positive"
    assert card.skill_polarity == {"Negative tone": "negative", "Empathy": "positive"}
    assert scorecard_to_dict(card)["sections"][0]["questions"][0]["polarity"] == "negative"
    assert "polarity" not in scorecard_to_dict(card)["sections"][0]["questions"][1]  # default left out
    with pytest.raises(ScorecardError, match=r"sections\[0\]\.questions\[0\]\.polarity: must be 'positive' or 'negative'"):
        scorecard_from_dict(_card("A", "bad"))
    mixed = _card("A", "negative")
    mixed["sections"][0]["questions"][1]["skill"] = "Negative tone"
    with pytest.raises(ScorecardError, match=r"sections\[0\]\.questions\[1\]\.polarity: skill 'Negative tone' is positive here"):
        scorecard_from_dict(mixed)
    no_skill = _card("A", "negative")
    del no_skill["sections"][0]["questions"][0]["skill"]
    with pytest.raises(ScorecardError, match="only a question with a skill can be negative"):
        scorecard_from_dict(no_skill)


def test_one_skill_has_one_polarity_across_scorecards(tmp_path):
    with Workspace.open(tmp_path / "w.qagrader") as ws:
        ws.scorecards.import_json(json.dumps(_card("Phone QA", "negative")))
        with pytest.raises(ScorecardError) as error:
            ws.scorecards.import_json(json.dumps(_card("Chat QA", "positive")))
        assert error.value.field == "sections[0].questions[0].polarity"
        assert "skill 'Negative tone' is positive here but negative on scorecard 'Phone QA'" in str(error.value)
        assert [s.name for s in ws.scorecards.list()] == ["Phone QA"]  # nothing saved
        ws.scorecards.import_json(json.dumps(_card("Chat QA", "negative")))  # agreeing: fine
        changed = _card("Phone QA", "positive")  # a new version of the same scorecard ...
        with pytest.raises(ScorecardError):      # ... still disagrees with Chat QA
            ws.scorecards.import_json(json.dumps(changed))
