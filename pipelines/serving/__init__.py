"""Serving: the dashboards' read-only snapshot of the marts, the routing what-if, and the app launcher."""
