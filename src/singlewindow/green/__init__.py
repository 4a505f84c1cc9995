"""Green customs: waste shipments under the Basel Convention (docs/green.md)."""
