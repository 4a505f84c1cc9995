"""Consignments through transhipment hubs: their legs, and the origin they keep."""
