"""Other rooms' doubts about a declaration (the `Concern` port): each doubt is a reason and
sends the declaration to at least a documentary check, in the lodgement's transaction."""

import threading

from singlewindow.declarations.services import Clearance
from singlewindow.risk.model import Channel
from tests.builders import TRADER, import_declaration


def test_a_doubt_sends_the_declaration_to_a_documentary_check_with_its_reason(database, clearance):
    seen: list[str] = []

    def unlikely_code(session, declaration):
        seen.append(declaration.lrn)
        return [f"declared code {declaration.items[0].commodity_code} is unlikely"]

    doubting = Clearance(database, "VN", concerns=[unlikely_code, lambda s, d: []])
    view = doubting.lodge(import_declaration("LRN-DOUBT"), TRADER)
    assert seen == ["LRN-DOUBT"]
    assert view.channel is Channel.YELLOW
    assert any("is unlikely" in reason for reason in view.selection["reasons"])


def test_without_a_doubt_the_channel_is_what_selectivity_chose(database, clearance):
    view = Clearance(database, "VN", concerns=[lambda s, d: []]).lodge(
        import_declaration("LRN-CALM"), TRADER)
    assert view.channel is Channel.GREEN


def test_foresight_runs_before_the_transaction_and_its_concern_inside_it(database, clearance):
    order: list[str] = []

    def foresee(declarations):
        # Another thread's transaction is not kept waiting (SQLite: the process's turn).
        def transaction():
            with database.unit_of_work():
                pass

        other = threading.Thread(target=transaction)
        other.start()
        other.join(timeout=5)
        assert not other.is_alive()
        order.append("foresee " + ",".join(d.lrn for d in declarations))

    def concern(session, declaration):
        order.append("concern " + declaration.lrn)
        return []

    Clearance(database, "VN", concerns=[concern], foresight=[foresee]).lodge(
        import_declaration("LRN-SEEN"), TRADER)
    assert order == ["foresee LRN-SEEN", "concern LRN-SEEN"]
