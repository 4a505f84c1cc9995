"""The declaration number counter under concurrent lodgement."""

import threading

from singlewindow.declarations.services import DeclarationView
from tests.builders import TRADER, import_declaration

LODGERS = 16


def test_first_declarations_of_a_year_lodged_at_once_all_get_consecutive_numbers(clearance):
    # A fresh database: the year's counter does not exist until the first lodgement, so
    # every thread races to open it.
    start = threading.Barrier(LODGERS)
    lodged: list[DeclarationView] = []
    failures: list[BaseException] = []

    def lodge(index: int) -> None:
        draft = import_declaration(lrn=f"LRN-RACE-{index:02d}")
        start.wait()
        try:
            lodged.append(clearance.lodge(draft, TRADER))
        except BaseException as error:  # noqa: BLE001 - the test reports every failure
            failures.append(error)

    threads = [threading.Thread(target=lodge, args=(i,)) for i in range(LODGERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    serials = sorted(int(view.number[10:18]) for view in lodged)
    assert serials == list(range(1, LODGERS + 1))
