"""The e-commerce pages of the console: the platform's manifests with each parcel's result and
what is due (never the reasons); the officers' held parcels with the reasons and the decision
form; a refused decision shown on the page, never a 500."""

from __future__ import annotations

import re

from tests.ecommerce.builders import JSONL, jsonl, parcel
from tests.nodes import NodeClient
from tests.web.console import console_as


def test_the_platform_reads_its_manifest_and_the_officer_decides(node: NodeClient) -> None:
    answer = node.client.post("/ecommerce/manifests", content=jsonl(
        [parcel(1, value="100"), "{broken"]), headers={**node.as_("trader"),
                                                      "content-type": JSONL})
    assert answer.status_code == 201
    manifest_id = answer.json()["id"]
    trader, officer = console_as(node, "trader"), console_as(node, "officer")
    listing = trader.get("/ecommerce")
    assert listing.status_code == 200 and manifest_id in listing.text
    page = trader.get(f"/ecommerce/manifests/{manifest_id}")
    assert page.status_code == 200
    assert 'data-order="ORD-000001"' in page.text and "not a JSON object" in page.text
    assert "unknown to customs" not in page.text  # the reason is customs' own
    assert "254,000" in page.text  # duty on 2,540,000 VND at the flat 10 %
    assert trader.get("/ecommerce/held").status_code in (303, 403)
    held = officer.get("/ecommerce/held")
    assert held.status_code == 200 and "unknown to customs" in held.text
    parcel_id = re.search(r'data-parcel="([0-9a-f]{32})"', held.text)
    assert parcel_id
    url = f"/ecommerce/parcels/{parcel_id.group(1)}/decision"
    assert officer.post_form(url, {"decision": "maybe"}).status_code == 422
    assert officer.post_form(url, {"decision": "documents_accepted"}).status_code == 303
    again = officer.post_form(url, {"decision": "found"})
    assert again.status_code == 409 and "not held" in again.text
    assert "No parcel is held." in officer.get("/ecommerce/held").text
