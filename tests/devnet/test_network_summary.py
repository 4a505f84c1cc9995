"""What `singlewindow up --traffic N` prints when the traffic is done."""

import io
from pathlib import Path

from rich.console import Console

from singlewindow.devnet.network import NodeProcess, traffic_summary, where_next


def rendered(renderable: object) -> list[str]:
    console = Console(file=io.StringIO(), width=160, record=True)
    console.print(renderable)
    return [" ".join(line.replace("│", " ").split()) for line in console.export_text().splitlines()]


def test_the_summary_counts_each_step_of_the_trades():
    counts = {"trades": 11, "exports_released": 12, "acdd_delivered": 12, "eformd_accepted": 9,
              "eformd_rejected": 2, "imports_released": 11, "messages_sent": 1234,
              "messages_delivered": 1230, "inspected_red": 3, "transit_released": 4,
              "transit_crossings": 7, "transit_arrived": 3, "transit_discharged": 3,
              "transit_discrepancies": 1, "transit_overdue": 1}
    lines = rendered(traffic_summary(counts, requested=12))
    assert lines[0] == "Traffic: 12 cross-border trades"
    for row in ("trades completed 11 of 12", "exports released 12",
                "ACDD delivered before arrival 12", "e-Form D accepted 9", "e-Form D rejected 2",
                "imports released 11", "AS4 messages sent 1,234", "AS4 messages delivered 1,230",
                "duplicates dropped 0", "transit movements released 4",
                "transit crossings at borders 7", "transit movements arrived 3",
                "transit movements discharged 3", "transit discrepancies found 1",
                "transit movements overdue (enquiry opened) 1"):
        assert row in lines, (row, lines)


def test_where_next_names_each_nodes_console_api_docs_accounts_and_tokens():
    root = Path("var/network")
    nodes = [NodeProcess("KH", 8100, root / "KH"), NodeProcess("VN", 8101, root / "VN")]
    lines = rendered(where_next(nodes))
    text = "\n".join(lines)
    assert lines[0] == "Where to go next"
    for node in nodes:
        row = (f"{node.country} console {node.url}/login API {node.api} docs "
               f"{node.url}/api/docs")
        assert row in text, text
        files = (f"console accounts var/network/{node.country}/console-users.json "
                 f"tokens var/network/{node.country}/tokens-{node.country}.json")
        assert files in text, text
    assert "stay in var/network" in text
