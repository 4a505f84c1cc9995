"""`singlewindow risk train/compare/promote/models/drift/score` on a node's database."""

import random

from typer.testing import CliRunner

from singlewindow.cli import app

from .conftest import History, days_ago


def test_the_learning_cycle_on_the_command_line(sqlite_database, monkeypatch):
    monkeypatch.setenv("SINGLEWINDOW_DATABASE_URL", sqlite_database.url)
    history = History(sqlite_database, random.Random(5))
    history.flow(600, days_ago(50))
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, ["risk", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "candidate model v1" in run("train", "--country", "VN")
    assert "in service, promoted by chief" in run("promote", "1", "--country", "VN",
                                                   "--by", "chief")
    history.flow(200, days_ago(20))
    assert "candidate model v2" in run("train", "--country", "VN")
    compared = run("compare", "2", "--country", "VN")
    assert "candidate v2" in compared and "in service v1" in compared
    run("promote", "2", "--country", "VN", "--by", "chief")
    listed = run("models", "--country", "VN")
    assert "in_service" in listed and "retired" in listed
    assert "800 selections scored" in run("score", "--country", "VN", "--since",
                                          days_ago(60).date().isoformat())
    assert "yellow threshold" in run("drift", "--country", "VN")
    refused = runner.invoke(app, ["risk", "promote", "9", "--country", "VN", "--by", "x"])
    assert refused.exit_code == 1
    bare = runner.invoke(app, ["risk", "train"])
    assert bare.exit_code != 0
