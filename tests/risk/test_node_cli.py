"""`singlewindow risk train/compare/promote/rollback/models/drift/score` on a node's database."""

import random
from datetime import timedelta

from typer.testing import CliRunner

from singlewindow.cli import app

from .conftest import History, days_ago, enough_history


def test_the_learning_cycle_on_the_command_line(sqlite_database, monkeypatch, frozen_clock):
    monkeypatch.setenv("SINGLEWINDOW_DATABASE_URL", sqlite_database.url)
    history = History(sqlite_database, random.Random(5))
    enough_history(history, days=100, end=32)
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, ["risk", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "candidate model v1" in run("train", "--country", "VN")
    refused = runner.invoke(app, ["risk", "promote", "1", "--country", "VN", "--by", "chief"])
    assert refused.exit_code == 1 and "comparison gate" in refused.output
    assert "wins against the no-skill baseline" in run("compare", "1", "--country", "VN")
    assert "in service, promoted by chief" in run("promote", "1", "--country", "VN",
                                                   "--by", "chief")
    history.flow(1200, days_ago(30), inspected=0.6, spacing=timedelta(days=28) / 1200)
    assert "candidate model v2" in run("train", "--country", "VN")
    compared = run("compare", "2", "--country", "VN")
    assert "candidate v2" in compared and "in service v1" in compared
    assert "candidate v2 wins against model v1" in compared
    run("promote", "2", "--country", "VN", "--by", "chief")
    listed = run("models", "--country", "VN")
    assert "in_service" in listed and "retired" in listed
    assert "3,600 selections scored" in run("score", "--country", "VN", "--since",
                                            days_ago(110).date().isoformat())
    assert "yellow threshold" in run("drift", "--country", "VN")
    refused = runner.invoke(app, ["risk", "promote", "9", "--country", "VN", "--by", "x"])
    assert refused.exit_code == 1
    bare = runner.invoke(app, ["risk", "train"])
    assert bare.exit_code != 0

    back = run("rollback", "--country", "VN", "--by", "chief", "--reason", "too many reds")
    assert "model v2 withdrawn by chief; model v1 back in service" in back
    assert "no model in service" in run("rollback", "--country", "VN", "--by", "chief",
                                        "--reason", "under review")
    nothing = runner.invoke(app, ["risk", "rollback", "--country", "VN", "--by", "chief",
                                  "--reason", "again"])
    assert nothing.exit_code == 1 and "nothing to roll back" in nothing.output
    assert "Traceback" not in nothing.output


def test_a_fresh_node_gets_messages_not_tracebacks(sqlite_database, monkeypatch):
    monkeypatch.setenv("SINGLEWINDOW_DATABASE_URL", sqlite_database.url)
    runner = CliRunner()

    def refused(*args):
        result = runner.invoke(app, ["risk", *args])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return " ".join(result.output.split())

    assert "no inspection results recorded yet" in refused("train", "--country", "VN")
    assert "no risk model version 2" in refused("compare", "2", "--country", "VN")
    assert "no risk model version 2" in refused("promote", "2", "--country", "VN", "--by", "c")
    assert "nothing to roll back" in refused("rollback", "--country", "VN", "--by", "c",
                                             "--reason", "r")
    # Too little history: the candidate is trained, and told it cannot be promoted yet.
    history = History(sqlite_database, random.Random(5))
    enough_history(history, count=400, days=90)
    trained = runner.invoke(app, ["risk", "train", "--country", "VN"])
    assert trained.exit_code == 0, trained.output
    assert "too few to promote it" in " ".join(trained.output.split())
